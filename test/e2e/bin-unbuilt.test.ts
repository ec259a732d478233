import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The tracked files of the checkout, copied without dist/ (as a fresh clone has them), node_modules linked. */
function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-unbuilt-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
  for (const f of files) {
    if (!f || f.startsWith('dist/') || f.startsWith('test/') || !existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('the bin of a checkout that was never built', () => {
  const dir = cleanCopy();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one line saying how to build (no stack trace), exit 1, for any command', () => {
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    for (const args of [['demo'], ['version']]) {
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'coupon-bench.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('coupon-bench: not built yet (dist/cli.js is missing): run `npm run build` (or `npm ci`) in the coupon-bench folder\n');
    }
  });

  it("npm ci's `prepare` step builds dist/, after which the bin works", () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toBeDefined();
    const build = spawnSync('npm', ['run', 'prepare'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(build.status, build.stderr).toBe(0);
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'coupon-bench.js'), 'version'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  }, 150_000);
});
