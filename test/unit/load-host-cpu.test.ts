import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostCpuBetween, parseProcStat, sampleHostCpu } from '../../src/load/host-cpu.js';

// /proc/stat as Linux prints it: aggregate line first, then one line per CPU.
const stat = (user: number, system: number, idle: number, iowait: number, steal: number, guest = 0): string =>
  `cpu  ${user} 3 ${system} ${idle} ${iowait} 0 5 ${steal} ${guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2 3\n`;

describe('host CPU time from /proc/stat', () => {
  it('reads the aggregate line, not a per-CPU one; guest time is not counted twice', () => {
    expect(parseProcStat(stat(100, 50, 800, 20, 7, 40))).toEqual({ total: 100 + 3 + 50 + 800 + 20 + 0 + 5 + 7, idle: 820, steal: 7 });
  });

  it('a text without an aggregate line, or with garbage in it, gives nothing', () => {
    expect(parseProcStat('cpu0 1 2 3 4\n')).toBeUndefined();
    expect(parseProcStat('cpu  1 2 x 4\n')).toBeUndefined();
    expect(parseProcStat('')).toBeUndefined();
  });

  it('shares of the interval: steal and busy in percent of the ticks that passed', () => {
    const a = parseProcStat(stat(100, 50, 800, 20, 10));
    // 200 ticks pass: 60 user, 20 system, 96 idle, 4 iowait, 20 steal
    const b = parseProcStat(stat(160, 70, 896, 24, 30));
    expect(hostCpuBetween(a, b)).toEqual({ stealPercent: 10, busyPercent: 40 });
  });

  it('no interval, or a missing sample, gives nothing rather than a made-up figure', () => {
    const a = parseProcStat(stat(100, 50, 800, 20, 10));
    expect(hostCpuBetween(a, a)).toBeUndefined();
    expect(hostCpuBetween(undefined, a)).toBeUndefined();
    expect(hostCpuBetween(a, undefined)).toBeUndefined();
  });

  it('samples a file; a missing file is not an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-stat-'));
    try {
      writeFileSync(join(dir, 'stat'), stat(1, 2, 3, 4, 5));
      expect(sampleHostCpu(join(dir, 'stat'))?.steal).toBe(5);
      expect(sampleHostCpu(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
