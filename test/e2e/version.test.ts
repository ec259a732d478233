import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('coupon-bench version (spawned CLI)', () => {
  it('`version`, `--version` and `-V` print the package version, exit 0', async () => {
    for (const args of [['version'], ['--version'], ['-V']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('`version --help` is the version command\'s help, and the root help lists it', async () => {
    const r = await runCli(['version', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: coupon-bench version/);
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}version +print the version of coupon-bench$/m);
  });

  it('a reader that closes the pipe early (`--help | head -1`) gets its line, no EPIPE stack, exit 0', () => {
    const bin = fileURLToPath(new URL('../../bin/coupon-bench.js', import.meta.url));
    // `head -c 1` closes the pipe after one byte, long before the help text is written.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" run --help | head -c 1 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.stdout.trim()).toBe('rc=0');
  });

  it("the argument parser's own errors read like every other one: `coupon-bench: … [E_USAGE]`, exit 1", async () => {
    for (const [args, message] of [
      [['run', 'seed-k6', '--vus', '0'], "option '--vus <n>' argument '0' is invalid. must be an integer >= 1"],
      [['verify', '--bogus'], "unknown option '--bogus'"],
      [['run'], "missing required argument 'scenario'"],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(`coupon-bench: ${message} [E_USAGE]`);
    }
    // a default shown in help is one the flag accepts
    expect((await runCli(['verify', '--help'])).stdout).toMatch(/\(default: 5s\)/);
  });
});
