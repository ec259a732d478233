import { describe, expect, it } from 'vitest';
import { createProgressPrinter, interruptNotice, progressBar, ttyProgressLine } from '../../src/run/progress.js';
import { colorEnabled, takeNoColorFlag } from '../../src/color.js';
import { PersistPoller } from '../../src/run/load/persist-poller.js';
import type { RunTick } from '../../src/run/run-input.js';
import { Recorder } from '../../src/load/recorder.js';
import { runTick } from '../../src/load/run-tick.js';

function sink(): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}
const tick = (s: number): RunTick => ({ elapsedMs: s * 1000, plannedMs: 10_000, total: s * 100, rate: 100, p95: 1.5, issued: 3, errors: 1, dropped: 0, inFlight: 2 });

describe('progress printer', () => {
  it('piped: a plain line every few seconds', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: false, pipedEverySec: 5 });
    for (let i = 1; i <= 10; i++) p({ type: 'tick', tick: tick(i) });
    const lines = s.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('running 5/10s  reqs 500  100/s  p95 1.50ms  issued 3  errors 1');
    expect(s.text().includes('\r')).toBe(false);
  });

  it('TTY: redraws one line every second', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: true });
    for (let i = 1; i <= 3; i++) p({ type: 'tick', tick: tick(i) });
    expect(s.text().split('\r').length - 1).toBe(3);
    expect(s.text().includes('\n')).toBe(false);
  });

  it('TTY: the line is a bar with elapsed/total, VUs (or in flight), rate, p95, issued and errors, cut to the width', () => {
    expect(progressBar(5000, 10_000, 10)).toBe('[█████░░░░░]');
    expect(progressBar(12_000, 10_000, 4)).toBe('[████]');
    expect(progressBar(1000, undefined)).toBe('');
    const closed = ttyProgressLine({ ...tick(5), vus: 100 });
    expect(closed).toBe('[██████████░░░░░░░░░░] 5/10s  VUs 100  100/s  p95 1.50ms  issued 3  errors 1');
    expect(ttyProgressLine(tick(5))).toContain(' 5/10s  in flight 2  100/s');
    // a chaos run that goes on past its planned end (waiting for a fault's recovery) says so
    expect(ttyProgressLine(tick(12))).toContain(' 12/10s+  in flight 2');
    const narrow = ttyProgressLine({ ...tick(5), vus: 100 }, 40);
    expect(narrow.length).toBe(39);
    expect(narrow.endsWith('…')).toBe(true);
    // the printer redraws that line, over the whole terminal width it was given
    const s = sink();
    (s.out as { columns?: number }).columns = 200;
    createProgressPrinter(s.out, { tty: true })({ type: 'tick', tick: { ...tick(5), vus: 100 } });
    expect(s.text()).toBe(`\r\x1b[2K${closed}`);
  });

  it('without announce (the demo) prints no start line, only the progress', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: false, pipedEverySec: 1, announce: false });
    p({ type: 'start', runId: 'r1', runDir: '/tmp/r1', scenario: { name: 'x', executor: 'constant-vus' }, target: 'http://127.0.0.1:1' } as never);
    p({ type: 'tick', tick: tick(1) });
    expect(s.text()).toBe('running 1/10s  reqs 100  100/s  p95 1.50ms  issued 3  errors 1\n');
  });

  it('colours only on a terminal and never with NO_COLOR or --no-color (taken out of the arguments wherever it stands)', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: set and not empty
    const env: NodeJS.ProcessEnv = {};
    expect(takeNoColorFlag(['node', 'cb', 'verify', '--no-color', '--report', 'r.json'], env)).toEqual(['node', 'cb', 'verify', '--report', 'r.json']);
    expect(env['NO_COLOR']).toBe('1');
    expect(colorEnabled({ isTTY: true }, env)).toBe(false);
    const untouched: NodeJS.ProcessEnv = {};
    expect(takeNoColorFlag(['node', 'cb', 'run', '--', '--no-color'], untouched)).toEqual(['node', 'cb', 'run', '--', '--no-color']);
    expect(untouched['NO_COLOR']).toBeUndefined();
  });

  it('shows the persister lag when the bundled server is polled', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: false, pipedEverySec: 1 });
    p({ type: 'tick', tick: { ...tick(1), persisted: { issued: 120, persisted: 95, lag: 25 } } });
    p({ type: 'tick', tick: tick(2) });
    const lines = s.text().trim().split('\n');
    expect(lines[0]).toBe('running 1/10s  reqs 100  100/s  p95 1.50ms  issued 3  errors 1  persisted 95/120 (lag 25)');
    expect(lines[1]).not.toContain('persisted');
  });

  it('a figure not known yet shows as –, never as 0', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: false, pipedEverySec: 1 });
    const { rate: _r, p95: _p, ...early } = tick(1);
    p({ type: 'tick', tick: early });
    expect(s.text()).toBe('running 1/10s  reqs 100  –/s  p95 –  issued 3  errors 1\n');
  });

  it('says what a signal does: the run stops, or the load had already finished', () => {
    const s = sink();
    const p = createProgressPrinter(s.out, { tty: true });
    p({ type: 'tick', tick: tick(1) });
    p({ type: 'interrupt', signal: 'SIGINT', stopping: true });
    expect(s.text().endsWith('\r\x1b[2KSIGINT: stopping the load (in-flight requests finish), then writing the report marked interrupted; a second SIGINT quits at once\n')).toBe(true);
    expect(interruptNotice('SIGTERM', false)).toBe('SIGTERM: the load had finished; finishing the audit (a second SIGTERM quits at once)');
  });
});

describe('persist poller', () => {
  it('sums issued and persisted over templates, and stops asking a server that is not ours', async () => {
    const { createServer } = await import('node:http');
    let hits = 0;
    const srv = createServer((req, res) => {
      hits++;
      const id = Number(req.url?.split('/').pop());
      if (req.url?.startsWith('/api/templates/') && id <= 2) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ templateId: id, stock: 100, issued: id * 10, persisted: id * 10 - id }));
      } else {
        res.statusCode = 404;
        res.end('{"code":"NOT_FOUND"}');
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      const ours = new PersistPoller(origin, [1, 2]);
      await ours.poll();
      expect(ours.latest).toEqual({ issued: 30, persisted: 27, lag: 3 });
      const other = new PersistPoller(origin, [7]);
      await other.poll();
      await other.poll();
      expect(other.latest).toBeUndefined();
      expect(hits).toBe(3); // the second poll of a foreign server sends nothing
      // start()'s first look predates the run: no figures until a look taken during the run
      const started = new PersistPoller(origin, [1], 60_000);
      await started.start();
      expect(started.latest).toBeUndefined();
      await started.poll();
      expect(started.latest).toEqual({ issued: 10, persisted: 9, lag: 1 });
      started.stop();
    } finally {
      srv.close();
    }
  });
});

describe('run ticks', () => {
  it('rate and p95 are unknown, not 0, until the first second has closed; then they are that second\'s', () => {
    const r = new Recorder([{ name: 'any', status: [200, 400] }], undefined, false);
    r.start(0);
    for (let i = 0; i < 5; i++) r.record(i === 0 ? 'issued' : 'sold_out', i === 0 ? 200 : 400, 1, i + 1, 100 * i, 100 * i, 100 * i + 2, undefined, undefined, undefined);
    const early = runTick(r, 990, { inFlight: 2, plannedMs: 5000 });
    expect(early).toEqual({ elapsedMs: 990, plannedMs: 5000, total: 5, issued: 1, errors: 0, dropped: 0, inFlight: 2 });
    const later = runTick(r, 1500, { inFlight: 0, persisted: { issued: 1, persisted: 1, lag: 0 } });
    expect(later.rate).toBe(5);
    expect(later.p95).toBeCloseTo(2, 1);
    expect(later.persisted).toEqual({ issued: 1, persisted: 1, lag: 0 });
  });
});
