import type { FaultBand } from '../model/fault.js';
import { newHistogram, recordMs, type Histogram } from '../shared/histogram.js';
import type { ResponseSample } from '../model/response-sample.js';

/** Answers that prove issuance works again: the Lua script ran (issued, sold out, duplicate). */
const ISSUANCE = new Set<string>(['issued', 'sold_out', 'duplicate']);

interface OpenBand {
  fault: FaultBand['fault'];
  name?: string;
  spec: string;
  /** performance.now() ms */
  start: number;
  end: number | undefined;
  requests: number;
  unknown: number;
  errors: number;
  latency: Histogram;
  recoveredAt: number | undefined;
  detail?: string;
  dataLost?: string;
  hook?: FaultBand['hook'];
}

/**
 * Per fault, what the clients saw while it lasted (a request belongs to a band when it ended after
 * the fault began and was sent before it was lifted): requests, unknown answers, errors (no answer,
 * or 5xx), p99 of the corrected latency; and the recovery time: from the fault's end to the answer
 * of the first request sent after it that issuance answered (200, or a sold-out/duplicate 400).
 */
export class FaultBands {
  private readonly bands: OpenBand[] = [];

  constructor(private readonly t0: () => number) {}

  /** A fault begins now (`at`, performance.now() ms); returns its index for {@link end}. */
  begin(fault: FaultBand['fault'], spec: string, at: number, name?: string): number {
    this.bands.push({ fault, ...(name !== undefined ? { name } : {}), spec, start: at, end: undefined, requests: 0, unknown: 0, errors: 0, latency: newHistogram(), recoveredAt: undefined });
    return this.bands.length - 1;
  }

  /** The fault `i` was lifted at `at`; `detail` says what was done, `dataLost` what the fault destroyed. */
  end(i: number, at: number, info: { detail?: string; dataLost?: string; hook?: FaultBand['hook'] } = {}): void {
    const b = this.bands[i];
    if (!b) return;
    b.end = at;
    if (info.detail !== undefined) b.detail = info.detail;
    if (info.dataLost !== undefined) b.dataLost = info.dataLost;
    if (info.hook !== undefined) b.hook = info.hook;
  }

  /** Whether band `i` has seen its recovery (an unknown band counts as recovered: nothing to wait for). */
  recovered(i: number): boolean {
    const b = this.bands[i];
    return b === undefined || b.recoveredAt !== undefined;
  }

  /** Whether every band begun so far has seen its recovery. */
  allRecovered(): boolean {
    return this.bands.every((b) => b.recoveredAt !== undefined);
  }

  /** Feed every response (the recorder's onResponse). */
  observe(s: ResponseSample): void {
    for (const b of this.bands) {
      if (s.end < b.start) continue;
      if (b.end === undefined || s.sent <= b.end) {
        b.requests++;
        if (s.outcome === 'unknown') b.unknown++;
        if (s.status === 0 || s.status >= 500) b.errors++;
        recordMs(b.latency, s.end - s.intended);
      } else if (b.recoveredAt === undefined && ISSUANCE.has(s.outcome)) {
        b.recoveredAt = s.end;
      }
    }
  }

  /** The bands as the report records them (ms since the run's start). */
  result(runEndAt: number): FaultBand[] {
    const t0 = this.t0();
    const ms = (x: number): number => Math.round((x - t0) * 10) / 10;
    return this.bands.map((b) => {
      const end = b.end ?? runEndAt;
      const band: FaultBand = {
        fault: b.fault,
        ...(b.name !== undefined ? { name: b.name } : {}),
        spec: b.spec,
        startMs: ms(b.start),
        endMs: ms(end),
        requests: b.requests,
        unknown: b.unknown,
        errors: b.errors,
        errorRate: b.requests ? Math.round((b.unknown / b.requests) * 10_000) / 10_000 : 0,
        p99Ms: b.requests ? Math.round(b.latency.getValueAtPercentile(99)) / 1000 : 0,
      };
      if (b.recoveredAt !== undefined) band.recoveryMs = Math.round((b.recoveredAt - end) * 10) / 10;
      if (b.detail !== undefined) band.detail = b.detail;
      if (b.dataLost !== undefined) band.dataLost = b.dataLost;
      if (b.hook !== undefined) band.hook = b.hook;
      return band;
    });
  }
}
