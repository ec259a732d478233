import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/load-stand-in.js';
import { makeReport } from '../unit/report-fixture.js';

/** One line naming the flag and the path, the stable code, exit 1, no stack. */
function expectBadPath(r: CliResult, flag: string, path: string): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`${flag} ${path}: cannot write there`);
  expect(lines[0]).toMatch(/\[E_OUTPUT_PATH\]$/);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

describe('output paths are checked before any work (spawned CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-outpaths-'));
  const cli = (args: string[], timeoutMs = 20_000): Promise<CliResult> => runCli(args, { cwd: dir, timeoutMs });
  /** a regular file: nothing can be created under it */
  const file = join(dir, 'a-file');
  const report = join(dir, 'r', 'report.json');
  let stand: StandIn;

  beforeAll(async () => {
    writeFileSync(file, 'not a folder\n');
    mkdirSync(join(dir, 'r'));
    writeFileSync(report, JSON.stringify(makeReport()));
    stand = await startStandIn({ 1: 10 });
  });
  afterAll(async () => {
    await stand.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('run: --out, --reports-dir and --junit under a file fail at once, before any request is sent', async () => {
    const base = ['run', 'seed-k6', '--target', stand.url, '--duration', '5s', '--vus', '2'];
    expectBadPath(await cli([...base, '--out', join(file, 'x')]), '--out', join(file, 'x'));
    expectBadPath(await cli([...base, '--reports-dir', file]), '--reports-dir', file);
    const junit = await cli([...base, '--out', join(dir, 'run-j'), '--junit', join(file, 'x.xml')]);
    expectBadPath(junit, '--junit', join(file, 'x.xml'));
    // none of the three 5 s runs started: the target never saw a request, and nothing was written
    expect(junit.stdout).toBe('');
    expect(stand.received).toBe(0);
    expect(existsSync(join(dir, 'run-j', 'report.json'))).toBe(false);
  }, 3 * 20_000 + 5_000); // three CLI starts, each killed after 20 s

  it('demo: --reports-dir under a file fails before any server starts', async () => {
    const r = await cli(['demo', '--duration', '1s', '--reports-dir', file]);
    expectBadPath(r, '--reports-dir', file);
    expect(r.stdout).not.toContain('demo: server');
  });

  it('report: --html naming a folder, --junit under a file', async () => {
    expectBadPath(await cli(['report', report, '--html', dir]), '--html', dir);
    expectBadPath(await cli(['report', report, '--junit', join(file, 'x.xml')]), '--junit', join(file, 'x.xml'));
    expect(readdirSync(join(dir, 'r'))).toEqual(['report.json']); // nothing half-written
  });

  it('verify and compare: --junit under a file', async () => {
    expectBadPath(await cli(['verify', '--report', report, '--junit', join(file, 'x.xml')]), '--junit', join(file, 'x.xml'));
    expectBadPath(await cli(['compare', report, report, '--junit', join(file, 'x.xml')]), '--junit', join(file, 'x.xml'));
  });

  it.runIf(existsSync('/proc/self'))('a folder that cannot be created under /proc is an error, not a hang', async () => {
    const r = await cli(['verify', '--report', report, '--junit', '/proc/nope/x.xml'], 15_000);
    expectBadPath(r, '--junit', '/proc/nope/x.xml');
    expect(r.stderr).toContain('cannot create /proc/nope');
  });

  it('missing folders of a good path are created', async () => {
    const html = join(dir, 'new', 'deeper', 'report.html');
    const r = await cli(['report', report, '--html', html]);
    expect(r.code).toBe(0);
    expect(existsSync(html)).toBe(true);
  });
});
