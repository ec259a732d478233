// Per user, three numbers in one growing Float64Array (no object, no boxed number per user):
const BEFORE = 0; // latest answer time (epoch ms) while not yet seen holding a coupon (−Infinity: none)
const TS = 1; // send time of the first `issued` request read (NaN: not a holder)
const AGAIN = 2; // earliest answer time of another request of theirs overlapping or following it (Infinity: none)
const SLOTS = 3;

/**
 * When each user asked, folded from a template's ledger records in file order, to tell whether the
 * run gave a missing duplicate check a chance to show: a user who asked again, concurrently with
 * their `issued` request or after it, and was answered while stock surely remained. Memory is three
 * numbers per user, whatever the number of records.
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
      // Overlapping the holder's request, or after it: a chance for a second coupon.
      if (end > u[at + TS]! && end < u[at + AGAIN]!) u[at + AGAIN] = end;
      return;
    }
    if (!issued) {
      if (end > u[at + BEFORE]!) u[at + BEFORE] = end;
      return;
    }
    u[at + TS] = ts;
    // A request answered before this one but after it was sent ran concurrently with it.
    if (u[at + BEFORE]! > ts) u[at + AGAIN] = u[at + BEFORE]!;
  }

  /**
   * Users who asked again, concurrently with their `issued` request or after it, and were answered
   * no later than `stockUntil`: the send time of the last coupon's request (stock surely remained
   * until the service took it), or Infinity when the stock never ran out.
   */
  usersAskedAgain(stockUntil: number): number {
    let n = 0;
    const u = this.slab;
    for (let at = 0; at < this.users * SLOTS; at += SLOTS) {
      if (!Number.isNaN(u[at + TS]!) && u[at + AGAIN]! <= stockUntil) n++;
    }
    return n;
  }
}
