// A run that dies, even by SIGKILL (no exit hook runs), leaves neither the service it started
// (its whole process group, even a member that ignores SIGTERM) nor its proxies behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupRunning } from '../../src/faults/target-process.js';
import { testPort } from '../helpers/ports.js';
import { spawnCli } from '../helpers/cli.js';
import { portOpen } from '../helpers/net.js';

// A member left a zombie (its parent gone, an init that reaps nothing) is dead: it is not counted.
const groupAlive = (pgid: number): boolean => groupRunning(pgid);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos --target-cmd: nothing outlives a killed run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-target-orphan-'));
  let pgid: number | undefined;
  afterAll(() => {
    if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL of the run (after a kill-target started the service again): the target process group and the proxy are gone within 2 s', async () => {
    const port = await testPort();
    const proxyPort = await testPort();
    const upstream = await testPort();
    // The service: its group id in a file, a member that ignores SIGTERM, and an HTTP server that does too.
    const server = `process.on('SIGTERM', () => {}); require('http').createServer((q, s) => s.end('{}')).listen(${port}, '127.0.0.1')`;
    const cmd = `echo $$ > pgid; sh -c 'trap "" TERM; sleep 300' & exec node -e "${server}"`;
    const run = spawnCli(
      ['chaos', 'seed-k6', '--target', `http://127.0.0.1:${port}`, '--target-cmd', cmd, '--target-cwd', dir, '--proxy', `db=127.0.0.1:${proxyPort}->127.0.0.1:${upstream}`, '--fault', 'kill-target@1s', '--duration', '30s', '--out', join(dir, 'run')],
      { cwd: dir, timeoutMs: 60_000 },
    );
    // The group started again by kill-target is the one whose watchdog must act.
    await run.waitFor(/^fault kill-target@1s lifted at .*group (\d+) started and answered/m, 30_000);
    const pidFile = join(dir, 'pgid');
    pgid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(run.child.exitCode).toBeNull();
    expect(groupAlive(pgid)).toBe(true);
    expect(await portOpen(proxyPort)).toBe(true);
    expect(await portOpen(port)).toBe(true);

    run.child.kill('SIGKILL');
    await run.ended;
    const deadline = Date.now() + 2000;
    while ((groupAlive(pgid) || (await portOpen(proxyPort))) && Date.now() < deadline) await sleep(50);
    expect(groupAlive(pgid)).toBe(false);
    expect(await portOpen(proxyPort)).toBe(false);
    expect(await portOpen(port)).toBe(false);
  }, 90_000);
});
