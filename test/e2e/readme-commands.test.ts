import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from '../helpers/markdown.js';

// The README's quick-start commands, run as written from the repository root: the front door must open.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SETUP = 'bash scripts/setup.sh';
const shellLines = codeBlocks(join(ROOT, 'README.md'))
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));

/** A set-up chain `bash scripts/setup.sh [--test] && X`: the command after the set-up, which the test runs (the set-up itself ran before the suite). */
function afterSetup(line: string): string | undefined {
  const m = /^bash scripts\/setup\.sh(?: --test)? && (.+)$/.exec(line);
  return m?.[1];
}

/** Run one shell command line from the repository root, killed after `timeoutMs`. */
function sh(line: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn('sh', ['-c', line], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}

const cliLines = shellLines.filter((l) => l.startsWith('node bin/coupon-bench.js '));
const demoLine = shellLines.map(afterSetup).find((c) => c?.startsWith('node bin/coupon-bench.js demo'));
const testLine = shellLines.find((l) => afterSetup(l) === 'npm test');

describe('README quick start (commands as written, from the repository root)', () => {
  it('has the set-up + demo command, the test command, and CLI commands to run', () => {
    expect(demoLine).toBeDefined();
    expect(testLine).toBe(`${SETUP} --test && npm test`);
    expect(cliLines.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(ROOT, 'scripts/setup.sh'))).toBe(true);
  });

  it('the test command is the one CI runs, and npm has a test script', () => {
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain(`\n${testLine ?? 'missing'}\n`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.test).toBeTruthy();
  });

  it.each(cliLines)('%s: exit 0 with its output', async (line) => {
    const r = await sh(line, 30_000);
    expect(r.code, r.out).toBe(0);
    if (/ (--help|-h)$/.test(line)) expect(r.out).toMatch(/^Usage: coupon-bench/m);
    if (/ (version|--version)$/.test(line)) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(r.out.trim()).toBe(pkg.version);
    }
  });

  // The demo as the README writes it, shortened to 2 s (its own flag) so the suite stays bounded.
  it('the quick-start demo: exit 0, a PASS verdict, report.json and the HTML report written', async () => {
    const r = await sh(`${demoLine ?? 'false'} --duration 2s`, 120_000);
    const html = /^demo: HTML report\s+(\S+)$/m.exec(r.out)?.[1];
    try {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^PASS\b.*exactly 10 issued to 10 distinct users/m);
      expect(html).toBeDefined();
      expect(existsSync(resolve(ROOT, html ?? 'missing'))).toBe(true);
      expect(existsSync(join(dirname(resolve(ROOT, html ?? 'missing')), 'report.json'))).toBe(true);
    } finally {
      // the run folder the demo wrote under reports/ (ignored by git): leave nothing behind
      if (html !== undefined) rmSync(dirname(resolve(ROOT, html)), { recursive: true, force: true });
    }
  }, 150_000);
});
