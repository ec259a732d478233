// The product's real path: the persister loop in a worker thread (built dist/store/persister-worker.js),
// draining a big outbox into SQLite while this thread's event loop stays responsive.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { openStore } from '../../src/store/open-store.js';
import { persisterWorkerPath, startPersister } from '../../src/store/persister.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { createTemplate, issueUsers, pendingCount, waitFor } from './persister-helpers.js';
import { testDb, type TestDb } from './store-test-db.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** `npm test` builds before vitest; when run alone, build if dist/store is missing or older than src/store. */
function ensureBuilt(): void {
  const worker = join(ROOT, 'dist', 'store', 'persister-worker.js');
  const srcDir = join(ROOT, 'src', 'store');
  const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs));
  if (existsSync(worker) && statSync(worker).mtimeMs >= newest) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmitOnError', 'false'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  } catch {
    // tsc exits non-zero when anyone's WIP has type errors, but still emits.
  }
}

describe('persister in a worker thread (SQLite)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('pworker');
  let db: TestDb;

  beforeAll(() => {
    ensureBuilt();
    redis = createRedis(REDIS_URL, { role: 'worker' });
    db = testDb('sqlite');
  });
  afterAll(async () => {
    redis.disconnect();
    await db.drop();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('resolves the built worker entry', () => {
    expect(persisterWorkerPath()).toMatch(/dist[\\/]store[\\/]persister-worker\.js$/);
  });

  it('drains a big outbox off the main event loop (on a worker thread) and stops cleanly', async () => {
    const N = 20_000;
    const k = await createTemplate(redis, prefix, 1, N);
    await issueUsers(redis, k, 1, 1, N);

    const h = await startPersister({ redisUrl: REDIS_URL, dbUrl: db.url, prefix, batchSize: 5000, rescanMs: 200 });
    expect(h.killWorker).toBeTypeOf('function'); // worker mode: the inserts run on their own thread
    // This thread's event-loop utilisation over the drain: the share of its time spent running code
    // rather than waiting for events. It does not grow when a busy machine stretches the drain
    // (time off the CPU while waiting is idle time); synchronous SQLite inserts here would make it ~1.
    const elu0 = performance.eventLoopUtilization();
    await waitFor('worker persisted every row', () => h.stats().persisted === N, 60_000);
    expect(performance.eventLoopUtilization(elu0).utilization).toBeLessThan(0.5);

    await waitFor('lag 0 reported from the worker', () => h.stats().lag === 0);
    expect(h.stats()).toMatchObject({ duplicatesIgnored: 0, deadLettered: 0, failures: 0 });
    await h.stop();
    await h.stop(); // idempotent
    expect(await redis.xlen(k.outbox)).toBe(0);
    expect(await pendingCount(redis, k.outbox)).toBe(0);
    const store = await openStore(db.url);
    expect(await store.countIssued(1)).toBe(N);
    await store.close();
  });

  it('starts from `node --input-type=module -e` (the worker does not inherit main-only flags)', async () => {
    const built = pathToFileURL(join(ROOT, 'dist', 'store', 'persister.js')).href;
    const code = `import { startPersister } from ${JSON.stringify(built)};
const h = await startPersister(${JSON.stringify({ redisUrl: REDIS_URL, dbUrl: db.url, prefix: `${prefix}-eval`, rescanMs: 200 })});
await h.stop();
console.log('STARTED AND STOPPED');`;
    const child = spawn(process.execPath, ['--input-type=module', '--no-warnings', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).not.toContain('ERR_INPUT_TYPE_NOT_ALLOWED');
    expect(out).toContain('STARTED AND STOPPED');
    expect(exitCode).toBe(0);
    await deletePrefix(REDIS_URL, `${prefix}-eval`);
  });

  it.runIf(process.platform === 'linux')('lowers the priority of its worker thread only (Linux: per-thread nice)', async () => {
    const niceOf = (path: string): number => {
      const stat = readFileSync(path, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const before = readdirSync('/proc/self/task');
    const mainNice = niceOf('/proc/self/stat');
    const h = await startPersister({ redisUrl: REDIS_URL, dbUrl: db.url, prefix: `${prefix}-nice`, rescanMs: 200, niceness: 7 });
    try {
      const fresh = readdirSync('/proc/self/task').filter((t) => !before.includes(t));
      const nices = fresh.map((t) => niceOf(`/proc/self/task/${t}/stat`));
      expect(nices).toContain(Math.min(19, mainNice + 7));
      // The calling (HTTP) thread keeps its priority.
      expect(niceOf('/proc/self/stat')).toBe(mainNice);
    } finally {
      await h.stop();
      await deletePrefix(REDIS_URL, `${prefix}-nice`);
    }
  });

  it('rejects start with the typed error from the worker for a bad database URL', async () => {
    const err = await startPersister({ redisUrl: REDIS_URL, dbUrl: 'postgres://postgres@127.0.0.1:1/test', prefix }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DB_UNREACHABLE' });
  });
});
