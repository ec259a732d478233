import { EXTEND_STEP_MS, type ExecContext } from './types.js';

/**
 * When a duration-bound load is over: at `durationMs` after `t0`, unless the context's `extend`
 * keeps it going another {@link EXTEND_STEP_MS} (asked once a step; once over, it stays over).
 */
export class LoadDeadline {
  private endsAt: number;
  private over = false;

  constructor(
    private readonly ctx: Pick<ExecContext, 'stop' | 'extend'>,
    t0: number,
    durationMs: number,
  ) {
    this.endsAt = t0 + durationMs;
  }

  /** Whether the load is over at `now` (performance.now() ms). */
  passed(now: number): boolean {
    if (this.over || now < this.endsAt) return this.over;
    if (this.ctx.stop.requested || this.ctx.extend?.() !== true) return (this.over = true);
    this.endsAt = now + EXTEND_STEP_MS;
    return false;
  }

  /** ms until the current end (at least 1). */
  msLeft(now: number): number {
    return Math.max(1, this.endsAt - now);
  }
}
