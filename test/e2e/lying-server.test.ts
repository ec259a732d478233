import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { answerScript, reply, type Flaw } from '../fixtures/flawed/flaw.js';
import { correct } from '../fixtures/flawed/index.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/flawed/fixture-server.js';
import { runCli } from '../helpers/cli.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

/** A server that hands a coupon to 1 in 5 winners while telling them "sold out". */
const liar: Flaw = {
  name: 'hands-out-and-says-sold-out',
  expected: ['no-lied-refusal'],
  persister: 'correct',
  async issue(ctx, userId, templateId) {
    const k = ctx.keys(templateId);
    const [code, seq, ms] = await ctx.redis.issue(k.stock, k.seq, k.users, k.outbox, userId, templateId);
    if (code === 1 && ++ctx.issuedHere % 5 === 0) return reply.soldOut();
    return answerScript(code, seq, ms, templateId, userId);
  },
};

describe('a server that lies about refusals, audited after a default run (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-liar-'));
  const prefix = uniquePrefix('liar');
  const db = `sqlite:${join(cwd, 'coupons.sqlite')}`;
  const scenario = join(cwd, 'liar.json');
  let server: FixtureServer;

  beforeAll(async () => {
    server = await startFixtureServer(liar, { redisUrl: REDIS_URL, dbUrl: db, prefix, templates: [{ id: 1, stock: 20 }] });
    writeFileSync(
      scenario,
      JSON.stringify({ name: 'liar', target: server.url, executor: 'shared-iterations', vus: 8, iterations: 200, duration: '20s', users: { type: 'uniform', min: 1, max: 60 }, templates: [{ id: 1, stock: 20 }] }),
    );
  });
  afterAll(async () => {
    await server.stop();
    await deletePrefix(REDIS_URL, prefix);
    rmSync(cwd, { recursive: true, force: true });
  });

  const stores = ['--redis', REDIS_URL, '--db', db, '--prefix', prefix];

  it('the default run keeps every answer, so verify FAILS no-lied-refusal', async () => {
    const run = await runCli(['run', scenario, '--out', 'default', '--quiet'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'default', 'report.json'), 'utf8')) as RunReport;
    expect(report.ledger.mode).toBe('full');
    expect(report.outcomes.sold_out).toBeGreaterThan(0);
    const v = await runCli(['verify', '--report', join(cwd, 'default', 'report.json'), ...stores, '--json'], { cwd });
    expect(v.code, v.stdout).toBe(100);
    const verdict = JSON.parse(v.stdout) as VerdictJson;
    const lied = verdict.invariants.find((i) => i.name === 'no-lied-refusal');
    expect(lied?.status).toBe('FAIL');
    expect(lied?.examples.join('\n')).toMatch(/only ever refused, yet holds seq \d+/);
    expect(verdict.headline).toContain('FAILED: no-lied-refusal');
    expect(verdict.notChecked).toEqual([]);
  });

  it('with an acked ledger verify says which invariants it did not check, and --strict exits 97', async () => {
    // The same load against an honest server, with the ledger that keeps only issued and unknown answers.
    const honestPrefix = uniquePrefix('honest');
    const honestDb = `sqlite:${join(cwd, 'honest.sqlite')}`;
    const honest = await startFixtureServer(correct, { redisUrl: REDIS_URL, dbUrl: honestDb, prefix: honestPrefix, templates: [{ id: 1, stock: 20 }] });
    try {
      const run = await runCli(['run', scenario, '--target', honest.url, '--out', 'acked', '--ledger', 'acked', '--quiet'], { cwd });
      expect(run.code, run.stderr).toBe(0);
      const reportPath = join(cwd, 'acked', 'report.json');
      const honestStores = ['--redis', REDIS_URL, '--db', honestDb, '--prefix', honestPrefix];
      const plain = await runCli(['verify', '--report', reportPath, ...honestStores], { cwd });
      expect(plain.code, plain.stdout).toBe(0);
      // Never a bare PASS: the word and the headline both say what went unchecked.
      expect(plain.stdout).toMatch(/^PASS \(2 of 10 not checked, [^)]*exercise unknown\) {2}exactly 20 issued.*; 2 of 10 not checked: no-phantom, no-lied-refusal;/m);
      // An acked ledger holds no repeated requests: whether a duplicate check was exercised is unknown, never claimed.
      expect(plain.stdout).toMatch(/; exercise unknown \(the ledger is 'acked': repeated requests are not in it\): no-duplicate-user/);
      expect(plain.stdout).not.toMatch(/^PASS {2}/m);

      const json = JSON.parse((await runCli(['verify', '--report', reportPath, ...honestStores, '--json'], { cwd })).stdout) as VerdictJson;
      expect(json.notChecked).toEqual(['no-phantom', 'no-lied-refusal']);
      expect(json.exitCode).toBe(0);

      const strict = await runCli(['verify', '--report', reportPath, ...honestStores, '--strict', '--junit', 'strict.xml'], { cwd });
      expect(strict.code, strict.stdout).toBe(97);
      expect(strict.stdout).toMatch(/^NOT FULLY CHECKED {2}.*2 of 10 not checked: no-phantom, no-lied-refusal;.* \(--strict: exit 97\)$/m);
      const junit = readFileSync(join(cwd, 'strict.xml'), 'utf8');
      expect(junit).toMatch(/<property name="notChecked" value="no-phantom,no-lied-refusal"/);
      expect(junit).toMatch(/<testcase[^>]*name="audit checked something"[^>]*>\s*<failure/);

    } finally {
      await honest.stop();
      await deletePrefix(REDIS_URL, honestPrefix);
    }
  });

  it('run --strict without --verify is a usage error that writes nothing', async () => {
    const r = await runCli(['run', scenario, '--strict', '--out', 'never'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--strict judges the audit: it needs --verify/);
    expect(() => readFileSync(join(cwd, 'never', 'report.json'))).toThrow();
  });
});
