import { readFileSync } from 'node:fs';

/** Machine-wide CPU time so far, in clock ticks, from the `cpu` line of /proc/stat. */
export interface HostCpuSample {
  /** every state but guest time (already counted in user) */
  total: number;
  /** idle + iowait */
  idle: number;
  /** time the hypervisor ran something else while this machine's CPUs wanted to run */
  steal: number;
}

/** How the machine as a whole spent the CPU time between two samples, in percent of it. */
export interface HostCpuShare {
  /** taken by the hypervisor: on a shared VM, the share of the run measuring the neighbours */
  stealPercent: number;
  /** spent running anything on this machine (the generator, the target, everything else) */
  busyPercent: number;
  /** the machine's 1-minute load average as the run ended (what else was running beside it) */
  loadAvg1?: number;
}

/** Parse the aggregate `cpu` line of /proc/stat; undefined when the text has none. */
export function parseProcStat(text: string): HostCpuSample | undefined {
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (!m) return undefined;
  const f = m[1]!.trim().split(/\s+/).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest is inside user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/** Sample the machine's CPU time now; undefined where /proc/stat does not exist (not Linux). */
export function sampleHostCpu(path = '/proc/stat'): HostCpuSample | undefined {
  try {
    return parseProcStat(readFileSync(path, 'latin1'));
  } catch {
    return undefined;
  }
}

/** Shares of the time between two samples; undefined without both or when no tick passed. */
export function hostCpuBetween(a: HostCpuSample | undefined, b: HostCpuSample | undefined): HostCpuShare | undefined {
  if (a === undefined || b === undefined) return undefined;
  const total = b.total - a.total;
  if (total <= 0) return undefined;
  const steal = b.steal - a.steal;
  const idle = b.idle - a.idle;
  const pct = (x: number): number => Math.round(Math.max(0, Math.min(100, (100 * x) / total)) * 10) / 10;
  return { stealPercent: pct(steal), busyPercent: pct(total - idle - steal) };
}
