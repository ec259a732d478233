import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'coupon-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'verify-e2e-'));

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'verify', 'verify.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--noEmitOnError', 'false'], { cwd: ROOT, stdio: 'ignore' });
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], cwd = dir): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'verify', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ledger(name: string, lines: object[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}
const ok = (u: number, seq: number) => ({ o: 'issued', tpl: 1, u, st: 200, c: `1-${seq}`, seq, ts: 1, lat: 5 });
const soldOut = (u: number) => ({ o: 'sold_out', tpl: 1, u, st: 400, ts: 1, lat: 5 });

describe('coupon-bench verify (spawned CLI)', () => {
  it('exit 0 and a table on a sound ledger', () => {
    const path = ledger('good.ndjson', [ok(1, 1), ok(2, 2), soldOut(3)]);
    const r = cli(['--ledger', path, '--template', '1:2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // A ledger alone judges 2 of 10: PARTIAL (exit 0), with the command that completes the audit.
    expect(r.out).toMatch(/^PARTIAL \(2 of 10 judged\) {2}exactly 2 issued to 2 distinct users; 1 refused: 1 sold out, 0 duplicate; 0 unknown; 8 of 10 not checked: seq-contiguous, redis-db-match, outbox-drained, no-lost-ack, no-phantom, no-lied-refusal, sold-out-exact, unknown-bounded; no-duplicate-user: PASS, not exercised \(no user asked twice before sell-out\)$/m);
    expect(r.out).toMatch(/no-over-issue\s+│\s+PASS/);
    expect(r.out).toMatch(/redis-db-match\s+│\s+SKIP/);
    expect(r.out).toContain(`complete the audit with:\n  coupon-bench verify --ledger ${path} --redis <redis-url> --db <db-url> --template 1:2`);
    const strict = cli(['--ledger', path, '--template', '1:2', '--strict']);
    expect(strict.code).toBe(97);
    expect(strict.out).toMatch(/^PARTIAL \(2 of 10 judged\) .*\(--strict: exit 97\)$/m);
  });

  it('a PASS the run could not have failed says so: "not exercised" with its count, in the table, the JSON and JUnit', () => {
    // Stock 2 sold out at t=20; user 1 asked again only after the sell-out: a missing duplicate check could not show.
    const path = ledger('lucky.ndjson', [
      { ...ok(1, 1), ts: 0, lat: 5000 },
      { ...ok(2, 2), ts: 20, lat: 5000 },
      { ...soldOut(3), ts: 40, lat: 5000 },
      { ...soldOut(1), ts: 50, lat: 5000 },
    ]);
    const table = cli(['--ledger', path, '--template', '1:2']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/no-duplicate-user\s+│\s+PASS\s+│.*│ PASS, not exercised \(no user asked twice before sell-out\)/);
    const json = cli(['--ledger', path, '--template', '1:2', '--json', '--junit', join(dir, 'lucky.xml')]);
    const v = JSON.parse(json.out) as { invariants: Array<{ name: string; status: string; exercised?: boolean | null; exercise?: { count?: number } }>; notExercised?: string[] };
    const dup = v.invariants.find((i) => i.name === 'no-duplicate-user')!;
    expect(dup).toMatchObject({ status: 'PASS', exercised: false, exercise: { count: 0 } });
    expect(v.invariants.find((i) => i.name === 'no-over-issue')).toMatchObject({ exercised: true, exercise: { count: 2 } });
    expect(v.notExercised).toEqual(['no-duplicate-user']);
    expect(readFileSync(join(dir, 'lucky.xml'), 'utf8')).toMatch(/<testcase name="no-duplicate-user"[^>]*>\s*<skipped message="PASS, not exercised \(no user asked twice before sell-out\)/);
    // The same users asking again before the sell-out: exercised, a plain PASS for that row.
    const asked = ledger('asked.ndjson', [
      { ...ok(1, 1), ts: 0, lat: 5000 },
      { o: 'duplicate', tpl: 1, u: 1, st: 409, c: '1-1', ts: 8, lat: 2000 },
      { ...ok(2, 2), ts: 20, lat: 5000 },
      { ...soldOut(3), ts: 40, lat: 5000 },
    ]);
    const again = JSON.parse(cli(['--ledger', asked, '--template', '1:2', '--json']).out) as typeof v;
    expect(again.invariants.find((i) => i.name === 'no-duplicate-user')).toMatchObject({ exercised: true, exercise: { count: 1 } });
  });

  it('at 80 columns (COLUMNS=80) no line is wider and nothing is lost: the same counts as --json', () => {
    const path = ledger('narrow.ndjson', [ok(1, 1), ok(2, 2), soldOut(3), soldOut(4)]);
    const env = { ...process.env, NO_COLOR: '1', COLUMNS: '80' };
    const r = spawnSync(process.execPath, [BIN, 'verify', '--ledger', path, '--template', '1:2'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
    expect(r.status).toBe(0);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const v = JSON.parse(cli(['--ledger', path, '--template', '1:2', '--json']).out) as { headline: string; invariants: Array<{ name: string; status: string; counts: Record<string, number>; detail: string }> };
    const flat = r.stdout.replace(/\s+/g, '');
    expect(flat).toContain(v.headline.replace(/\s+/g, ''));
    for (const i of v.invariants) {
      expect(r.stdout).toMatch(new RegExp(`^${i.status === 'PASS' ? 'PASS\\*?' : i.status} +${i.name}$`, 'm'));
      expect(flat).toContain(i.detail.replace(/\s+/g, ''));
      for (const [k, n] of Object.entries(i.counts)) expect(flat).toContain(`${k}=${n}`);
    }
  });

  it('exit 100 naming the invariant and the user, also as --json', () => {
    const path = ledger('dup.ndjson', [ok(1, 1), ok(1, 2), soldOut(3)]);
    const r = cli(['--ledger', path, '--template', '1:2', '--json']);
    expect(r.code).toBe(100);
    const v = JSON.parse(r.out) as { ok: boolean; exitCode: number; invariants: Array<{ name: string; status: string; examples: string[] }> };
    expect(v.ok).toBe(false);
    expect(v.exitCode).toBe(100);
    const dup = v.invariants.find((i) => i.name === 'no-duplicate-user')!;
    expect(dup.status).toBe('FAIL');
    expect(dup.examples[0]).toContain('user 1: told 200 twice');
  });

  it('exit 97 when nothing was requested', () => {
    const r = cli(['--ledger', ledger('empty.ndjson', []), '--template', '1:2']);
    expect(r.code).toBe(97);
    expect(r.out).toContain('NOTHING CHECKED');
  });

  it('without flags finds the latest run under reports/, and says so when there is none', () => {
    const none = cli([]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no run found under .*reports/);
    const run = join(dir, 'reports', 'run-1');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'ledger.ndjson'), [ok(5, 1), soldOut(6)].map((l) => JSON.stringify(l)).join('\n'));
    writeFileSync(join(run, 'report.json'), JSON.stringify({ templates: [{ templateId: 1, stock: 1 }], ledger: { file: 'ledger.ndjson', records: 2, mode: 'full' } }));
    const r = cli([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('exactly 1 issued to 1 distinct user;');
    expect(r.out).toContain(`report: ${join(run, 'report.json')}`);
  });

  it('malformed store URLs are usage errors (exit 1) with the same codes as serve, not "unreachable" (97)', () => {
    const path = ledger('urls.ndjson', [ok(1, 1)]);
    const db = cli(['--ledger', path, '--template', '1:1', '--db', 'foo:bar']);
    expect(db.code).toBe(1);
    expect(db.err).toMatch(/--db: unsupported URL "foo:bar".*\[E_BAD_DB_URL\]/);
    const redis = cli(['--ledger', path, '--template', '1:1', '--redis', 'nonsense']);
    expect(redis.code).toBe(1);
    expect(redis.err).toMatch(/--redis: "nonsense" is not a URL.*\[E_BAD_REDIS_URL\]/);
  });

  it('a database that refuses the credentials is exit 1 (E_DB_AUTH, as serve says), not "unreachable" (97)', () => {
    const path = ledger('auth.ndjson', [ok(1, 1)]);
    const pg = new URL(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
    // The local server trusts every password, so an unknown role is what it refuses.
    pg.username = 'cb_no_such_role';
    pg.password = 'hunter2secret';
    const r = cli(['--ledger', path, '--template', '1:1', '--db', pg.toString()]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/refused the credentials.*\[E_DB_AUTH\]/);
    expect(r.err).not.toContain('hunter2secret');
  });

  it('--template 1:0 judges a template of stock 0, as run --stock 0 creates', () => {
    const allRefused = ledger('stock0.ndjson', [soldOut(1), soldOut(2), soldOut(3)]);
    const r = cli(['--ledger', allRefused, '--template', '1:0']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/no-over-issue\s+│\s+PASS\s+│\s+stock=0/);
    const oneIssued = cli(['--ledger', ledger('stock0-bad.ndjson', [ok(1, 1), soldOut(2)]), '--template', '1:0']);
    expect(oneIssued.code).toBe(100);
    expect(oneIssued.out).toContain('ledger: 1 clients told 200 > stock 0');
    // an acked ledger of such a run is empty: the verdict says why it cannot judge and what to pass
    const empty = cli(['--ledger', ledger('stock0-acked.ndjson', []), '--template', '1:0']);
    expect(empty.code).toBe(97);
    expect(empty.out).toMatch(/^NOTHING CHECKED {2}zero requests checked \(the ledger holds no record; an acked ledger .* as with stock 0: pass the run's --report/m);
    const bad = cli(['--ledger', allRefused, '--template', '1:-1']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('id a positive integer, stock an integer >= 0');
  });

  it('bad flags are usage errors (exit 1)', () => {
    expect(cli(['--template', 'abc']).code).toBe(1);
    const r = cli(['--ledger', join(dir, 'missing.ndjson'), '--template', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('does not exist');
  });
});
