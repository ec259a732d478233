// A chaos run that dies, even by SIGKILL (no exit hook runs), leaves no served process behind:
// the server sees its IPC channel to the run close and drains and stops.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { alive, firstMatch } from '../helpers/net.js';
import { testPort } from '../helpers/ports.js';

describe('chaos: the served process does not outlive its run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-chaos-orphan-'));
  const prefix = uniquePrefix('orphan');
  let servePid: number | undefined;
  afterAll(async () => {
    if (servePid !== undefined && alive(servePid)) process.kill(servePid, 'SIGKILL');
    await deletePrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL of the run: the server stops within seconds', async () => {
    const port = await testPort();
    const mod = new URL('../../dist/faults/serve-process.js', import.meta.url).href;
    const opts = JSON.stringify({ port, redisUrl: REDIS_URL, dbUrl: `sqlite:${join(dir, 'db.sqlite')}`, prefix });
    // Stand-in for a chaos run: start the server, print its pid, then wait to be killed.
    const run = spawn(process.execPath, ['-e', `import(${JSON.stringify(mod)}).then(async (m) => { const s = await m.startServeProcess(${opts}); console.log('pid', s.pid); setInterval(() => {}, 1000); })`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    servePid = Number((await firstMatch(run.stdout, /pid (\d+)/, 20_000))[1]);
    expect(alive(servePid)).toBe(true);
    run.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while (alive(servePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(servePid)).toBe(false);
  }, 45_000);
});
