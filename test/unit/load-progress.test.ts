import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from '../../src/load/progress.js';
import type { RunTick } from '../../src/load/run-scenario.js';

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
});
