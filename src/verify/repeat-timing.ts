// Per user, five numbers in one growing Float64Array (no object, no boxed number per user):
const BEFORE = 0; // latest answer time (epoch ms) while not yet seen holding a coupon (−Infinity: none)
const TS = 1; // send time of the first `issued` request read (NaN: not a holder)
const END = 2; // its answer time
const OVERLAP = 3; // earliest send time of another request of theirs overlapping it (Infinity: none)
const AGAIN = 4; // earliest answer time of a request sent after it was answered (Infinity: none)
const SLOTS = 5;

/**
 * When each user asked, folded from a template's ledger records in file order, to tell whether the
 * run gave a missing duplicate check a chance to show: a user who asked again after being told
 * `issued` while stock remained, or concurrently with that request. Memory is five numbers per
 * user, whatever the number of records.
 *
 * The ledger is written as answers arrive, so a request that overlaps a holder's `issued` one and
 * was answered first is read before it: the latest answer time seen before it is enough to tell.
 */
export class RepeatTiming {
  private readonly index = new Map<number, number>();
  private slab = new Float64Array(SLOTS * 256);
  private users = 0;
  /** send time of the last `issued` request (−Infinity before any) */
  lastIssuedTs = -Infinity;
  /** false once a record without send and answer times was read: the rule cannot be applied */
  timed = true;

  private slotOf(user: number): number {
    const known = this.index.get(user);
    if (known !== undefined) return known;
    const at = this.users++ * SLOTS;
    if (at + SLOTS > this.slab.length) {
      const grown = new Float64Array(this.slab.length * 2);
      grown.set(this.slab);
      this.slab = grown;
    }
    const u = this.slab;
    u[at + BEFORE] = -Infinity;
    u[at + TS] = NaN;
    u[at + END] = NaN;
    u[at + OVERLAP] = Infinity;
    u[at + AGAIN] = Infinity;
    this.index.set(user, at);
    return at;
  }

  /** Fold one record: user, whether it was `issued`, its send time (ms) and latency (µs). */
  add(user: number, issued: boolean, ts: number | undefined, latUs: number | undefined): void {
    if (ts === undefined || latUs === undefined) {
      this.timed = false;
      return;
    }
    const end = ts + latUs / 1000;
    if (issued && ts > this.lastIssuedTs) this.lastIssuedTs = ts;
    const at = this.slotOf(user);
    const u = this.slab;
    if (!Number.isNaN(u[at + TS]!)) {
      if (ts < u[at + END]! && end > u[at + TS]!) u[at + OVERLAP] = Math.min(u[at + OVERLAP]!, ts);
      else if (ts >= u[at + END]!) u[at + AGAIN] = Math.min(u[at + AGAIN]!, end);
      return;
    }
    if (!issued) {
      if (end > u[at + BEFORE]!) u[at + BEFORE] = end;
      return;
    }
    u[at + TS] = ts;
    u[at + END] = end;
    // A request answered before this one but after it was sent ran concurrently with it.
    if (u[at + BEFORE]! > ts) u[at + OVERLAP] = ts;
  }

  /**
   * Users who asked again while stock remained: after their `issued` answer, answered no later
   * than `stockUntil` (the send time of the last coupon, or Infinity when the stock never ran
   * out); or concurrently with their `issued` request, sent no later than `stockUntil`.
   */
  usersAskedAgain(stockUntil: number): number {
    let n = 0;
    const u = this.slab;
    for (let at = 0; at < this.users * SLOTS; at += SLOTS) {
      if (!Number.isNaN(u[at + TS]!) && (u[at + AGAIN]! <= stockUntil || u[at + OVERLAP]! <= stockUntil)) n++;
    }
    return n;
  }
}
