import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { redactUrl } from '../../src/shared/redact-url.js';
import { ISSUED_TABLE } from '../../src/store/schema.js';
import { PG_URL, REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { testDb } from '../integration/store-test-db.js';

/** Each CLI start is killed after 60 s; a test's own timeout is its number of starts times that. */
const CLI_TIMEOUT_MS = 60_000;
const cli = (args: string[], cwd: string) => runCli(args, { cwd, timeoutMs: CLI_TIMEOUT_MS });
const starts = (n: number): number => n * CLI_TIMEOUT_MS + 10_000;

describe('run --serve and the store flags (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-run-serve-stores-'));
  const db = testDb('postgres');
  const prefix = uniquePrefix('servestores');
  afterAll(async () => {
    await db.drop();
    await deletePrefix(REDIS_URL, prefix);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('--target with --serve is a usage error: exit 1, one line, nothing started', async () => {
    const r = await cli(['run', 'seed-k6', '--serve', '--duration', '1s', '--target', 'http://127.0.0.1:1', '--out', 'both'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--target http:\/\/127\.0\.0\.1:1 cannot be used with --serve.*\[E_USAGE\]$/)]);
    expect(existsSync(join(cwd, 'both'))).toBe(false);
  });

  it('malformed --redis, --db and --prefix are rejected before anything starts (exit 1, one line)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--redis', 'nonsense'], /--redis: "nonsense" is not a URL.*\[E_BAD_REDIS_URL\]$/],
      [['--db', 'foo:bar'], /--db: unsupported URL "foo:bar".*\[E_BAD_DB_URL\]$/],
      [['--db', 'postgres://postgres@127.0.0.1:5432/test?schema=bad-name'], /--db: schema "bad-name".*\[E_BAD_DB_URL\]$/],
      [['--prefix', 'a{b}'], /--prefix: "a\{b\}".*\[E_BAD_PREFIX\]$/],
    ];
    for (const [flags, message] of cases) {
      for (const mode of [['--serve'], ['--target', 'http://127.0.0.1:1']]) {
        const r = await cli(['run', 'seed-k6', ...mode, '--duration', '1s', ...flags, '--out', 'bad'], cwd);
        expect(r.code, `${mode.join(' ')} ${flags.join(' ')}`).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
        expect(existsSync(join(cwd, 'bad'))).toBe(false);
      }
    }
  }, starts(8));

  it('--redis, --db and --prefix are the served server\'s: the run fills them and --verify audits them', async () => {
    const args = ['run', 'seed-k6', '--serve', '--verify', '--duration', '2s', '--vus', '20', '--seed', '5'];
    const r = await cli([...args, '--redis', REDIS_URL, '--db', db.url, '--prefix', prefix, '--out', 'pg'], cwd);
    expect(r.code, r.stderr).toBe(0);
    // the Redis the suite was given (REDIS_URL), as the line prints it (without a password)
    const shownRedis = redactUrl(REDIS_URL).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(r.stderr).toMatch(new RegExp(`serving on http://127\\.0\\.0\\.1:\\d+ \\(redis ${shownRedis}, db postgres://.*, prefix cbtest-servestores-`));
    expect(r.stdout).toMatch(/exactly 10 issued to 10 distinct users/);
    const report = JSON.parse(readFileSync(join(cwd, 'pg', 'report.json'), 'utf8')) as RunReport;
    expect(report.stores).toEqual({ redis: REDIS_URL, db: db.url, prefix, source: 'serve' });
    const status = new Map(report.verdict?.invariants.map((i) => [i.name, i.status]));
    for (const name of ['redis-db-match', 'outbox-drained', 'no-lost-ack', 'seq-contiguous', 'no-phantom'] as const) expect(status.get(name), name).toBe('PASS');
    expect(existsSync(join(cwd, 'pg', 'coupons.sqlite'))).toBe(false);

    // The coupons are in that PostgreSQL schema and under that Redis prefix, nowhere else.
    const schema = new URL(db.url).searchParams.get('schema')!;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const rows = await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${ISSUED_TABLE} WHERE template_id = 1`);
      expect(Number(rows.rows[0]!.n)).toBe(10);
    } finally {
      await c.end();
    }
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(`${prefix}:{t1}:seq`)).toBe('10');
    } finally {
      redis.disconnect();
    }
  }, starts(1));

  it('report.json keeps no password: verify --report asks for the URL again, then audits with it', async () => {
    // The local PostgreSQL trusts every password: the run works with one, and it must not be written down.
    const secret = 'hunter2secret';
    const fresh = testDb('postgres'); // a schema of its own: --serve refuses one holding coupons
    const withPassword = fresh.url.replace('postgres://postgres@', `postgres://postgres:${secret}@`);
    const p2 = uniquePrefix('servestores-pw');
    try {
      const r = await cli(['run', 'seed-k6', '--serve', '--verify', '--duration', '1s', '--vus', '10', '--seed', '6', '--db', withPassword, '--prefix', p2, '--out', 'pw'], cwd);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(join(cwd, 'pw', 'report.json'), 'utf8');
      expect(text).not.toContain(secret);
      expect((JSON.parse(text) as RunReport).stores?.db).toBe(withPassword.replace(secret, '***'));
      const asked = await cli(['verify', '--report', join(cwd, 'pw', 'report.json')], cwd);
      expect(asked.code).toBe(1);
      expect(asked.stderr).toMatch(/keeps postgres:\/\/postgres:\*\*\*@.* without its password; pass --db <url> with it \[E_PASSWORD_NEEDED\]/);
      expect(asked.stderr).not.toContain(secret);
      const audited = await cli(['verify', '--report', join(cwd, 'pw', 'report.json'), '--db', withPassword], cwd);
      expect(audited.code, audited.stdout).toBe(0);
    } finally {
      await deletePrefix(REDIS_URL, p2);
      await fresh.drop();
    }
  }, starts(3));
});
