/** What one holder's requests say, relative to the first `issued` answer the ledger shows for them. */
interface Holder {
  /** send time (epoch ms) and answer time of the first `issued` request read */
  ts: number;
  end: number;
  /** earliest send time of another request of theirs overlapping that one (Infinity: none) */
  overlapTs: number;
  /** earliest answer time of a request sent after theirs was answered (Infinity: none) */
  againEnd: number;
}

/**
 * When each user asked, folded from a template's ledger records in file order, to tell whether the
 * run gave a missing duplicate check a chance to show: a user who asked again after being told
 * `issued` while stock remained, or concurrently with that request. Memory is one number per user
 * and four per holder, whatever the number of records.
 *
 * The ledger is written as answers arrive, so a request that overlaps a holder's `issued` one and
 * was answered first is read before it: the latest answer time seen before it is enough to tell.
 */
export class RepeatTiming {
  /** latest answer time (epoch ms) per user not yet seen holding a coupon */
  private readonly before = new Map<number, number>();
  private readonly holders = new Map<number, Holder>();
  /** send time of the last `issued` request (−Infinity before any) */
  lastIssuedTs = -Infinity;
  /** false once a record without send and answer times was read: the rule cannot be applied */
  timed = true;

  /** Fold one record: user, whether it was `issued`, its send time (ms) and latency (µs). */
  add(user: number, issued: boolean, ts: number | undefined, latUs: number | undefined): void {
    if (ts === undefined || latUs === undefined) {
      this.timed = false;
      return;
    }
    const end = ts + latUs / 1000;
    const h = this.holders.get(user);
    if (h) {
      if (ts < h.end && end > h.ts) h.overlapTs = Math.min(h.overlapTs, ts);
      else if (ts >= h.end) h.againEnd = Math.min(h.againEnd, end);
      if (issued && ts > this.lastIssuedTs) this.lastIssuedTs = ts;
      return;
    }
    if (!issued) {
      const prev = this.before.get(user);
      if (prev === undefined || end > prev) this.before.set(user, end);
      return;
    }
    if (ts > this.lastIssuedTs) this.lastIssuedTs = ts;
    const earlier = this.before.get(user);
    // A request answered before this one but after it was sent ran concurrently with it.
    const overlapTs = earlier !== undefined && earlier > ts ? ts : Infinity;
    this.before.delete(user);
    this.holders.set(user, { ts, end, overlapTs, againEnd: Infinity });
  }

  /**
   * Users who asked again while stock remained: after their `issued` answer, answered no later
   * than `stockUntil` (the send time of the last coupon, or Infinity when the stock never ran
   * out); or concurrently with their `issued` request, sent no later than `stockUntil`.
   */
  usersAskedAgain(stockUntil: number): number {
    let n = 0;
    for (const h of this.holders.values()) if (h.againEnd <= stockUntil || h.overlapTs <= stockUntil) n++;
    return n;
  }
}
