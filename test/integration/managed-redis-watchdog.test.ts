// A SIGKILLed owner runs no exit hook: its private redis-server must still go away (watchdog).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { firstMatch, portOpen } from '../helpers/net.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILT = join(ROOT, 'dist', 'redis', 'managed-redis.js');

/** The child imports the built module: build when dist is missing or older than the source. */
function ensureBuilt(): void {
  const src = join(ROOT, 'src', 'redis', 'managed-redis.ts');
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= statSync(src).mtimeMs) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmitOnError', 'false'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  } catch {
    // tsc exits non-zero when anyone's WIP has type errors, but still emits.
  }
}


describe('managed redis-server', () => {
  it('dies with its owner when the owner is SIGKILLed (no exit hook runs)', async () => {
    ensureBuilt();
    const code = `import { startManagedRedis } from ${JSON.stringify(pathToFileURL(BUILT).href)};
const r = await startManagedRedis({ appendOnly: false });
console.log('PORT ' + r.port + ' ' + r.pid);
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number((await firstMatch(child.stdout, /PORT (\d+)/, 10_000))[1]);
    expect(await portOpen(port)).toBe(true);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The watchdog wakes when the owner's end of its pipe closes; allow slack on a loaded machine.
    const deadline = Date.now() + 8000;
    let open = true;
    while (Date.now() < deadline && (open = await portOpen(port))) await new Promise((r) => setTimeout(r, 100));
    expect(open).toBe(false);
  }, 30_000);

  it('takes its watchdog along when redis-server ends by itself, so a reused pid is never killed', async () => {
    ensureBuilt();
    const { startManagedRedis } = (await import(pathToFileURL(BUILT).href)) as typeof import('../../src/redis/managed-redis.js');
    const r = await startManagedRedis({ appendOnly: false });
    const pid = r.pid!;
    const watchdogs = (): number[] =>
      execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(`kill -9 ${pid}`))
        .map((l) => Number(l.trim().split(' ')[0]));
    try {
      expect(watchdogs()).toHaveLength(1);
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline && watchdogs().length > 0) await new Promise((res) => setTimeout(res, 50));
      expect(watchdogs()).toEqual([]);
    } finally {
      await r.stop();
    }
  }, 30_000);
});
