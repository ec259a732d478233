import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { trapInterrupts } from '../../src/commands/interrupt.js';

/** Just enough of `process` for the trap: signal listeners, a pid and kill(). */
function fakeProcess(): NodeJS.Process & { kills: Array<[number, string]> } {
  const p = new EventEmitter() as unknown as NodeJS.Process & { kills: Array<[number, string]> };
  Object.assign(p, { pid: 4242, kills: [], kill: (pid: number, sig: string) => (p.kills.push([pid, sig]), true) });
  return p;
}

describe('trapInterrupts', () => {
  it('the first SIGINT or SIGTERM aborts the signal with its name and nothing else', () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const proc = fakeProcess();
      const trap = trapInterrupts(proc);
      expect(trap.signal.aborted).toBe(false);
      proc.emit(sig, sig);
      expect(trap.signal.aborted).toBe(true);
      expect(trap.signal.reason).toBe(sig);
      expect(proc.kills).toEqual([]);
      expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(2);
    }
  });

  it('a second signal gives the signals back and raises it again, so it ends the process at once', () => {
    const proc = fakeProcess();
    const trap = trapInterrupts(proc);
    proc.emit('SIGINT', 'SIGINT');
    proc.emit('SIGTERM', 'SIGTERM');
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
    expect(proc.kills).toEqual([[4242, 'SIGTERM']]);
    expect(trap.signal.reason).toBe('SIGINT');
  });

  it('release() gives the signals back to their default', () => {
    const proc = fakeProcess();
    trapInterrupts(proc).release();
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
  });
});
