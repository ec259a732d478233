/**
 * Final state of sold-out templates, so the issue route can answer the rest of a flash sale's
 * traffic without a Redis round trip.
 *
 * Why it is safe: a template's stock is immutable, its seq only grows, and a coupon is only issued
 * while seq < stock. Once the issue script has answered "out of stock", no write can touch the
 * template's keys again, so its users hash is final: a user in it gets "already issued" with their
 * seq, anyone else "out of stock" — exactly what the script would answer. The snapshot is a copy
 * of that final hash, taken with one HGETALL after the first out-of-stock answer.
 *
 * What keeps it honest when the contract is broken from outside (keys deleted, Redis restarted
 * without persistence, a template created again): a snapshot only serves requests while the
 * issue connection that observed the sale's end is still the same one (`generation`), and for
 * `ttlMs` after Redis last confirmed it; after that one request goes to Redis, and an
 * out-of-stock answer with the same count renews it while any other answer drops it. Templates
 * with more than `maxHolders` coupons are not copied (their requests keep going to Redis).
 */

/** One template's final state. */
interface Snapshot {
  /** coupons issued (== stock, == holders.size) */
  readonly issued: number;
  /** userId -> seq of the coupon the user holds; undefined while loading or when too big to copy */
  holders: Map<number, number> | undefined;
  /** issue-connection generation the state was observed on */
  readonly generation: number;
  /** performance.now() ms until which it answers without asking Redis */
  validUntil: number;
}

/** Reads a template's users hash (userId -> seq, as Redis returns it). */
export type HoldersLoader = (templateId: number) => Promise<Record<string, string>>;

/** Settings of {@link SoldOutSnapshots}. */
export interface SoldOutSnapshotOptions {
  readonly load: HoldersLoader;
  /** templates with more coupons than this are not copied */
  readonly maxHolders?: number;
  /** how long a snapshot answers after Redis last confirmed it, ms */
  readonly ttlMs?: number;
  /** at most this many templates are kept */
  readonly maxTemplates?: number;
}

const DEFAULT_MAX_HOLDERS = 100_000;
const DEFAULT_TTL_MS = 1_000;
const DEFAULT_MAX_TEMPLATES = 1_000;

/** The sold-out templates this server has seen, with their holders. */
export class SoldOutSnapshots {
  /** requests answered from a snapshot (for /metrics) */
  answers = 0;
  private readonly byTemplate = new Map<number, Snapshot>();
  private readonly maxHolders: number;
  private readonly ttlMs: number;
  private readonly maxTemplates: number;

  constructor(private readonly opts: SoldOutSnapshotOptions) {
    this.maxHolders = opts.maxHolders ?? DEFAULT_MAX_HOLDERS;
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.maxTemplates = opts.maxTemplates ?? DEFAULT_MAX_TEMPLATES;
  }

  /**
   * The holders of a sold-out template, when a valid snapshot of it exists for this connection
   * generation at time `now`; undefined means "ask Redis".
   */
  holders(templateId: number, generation: number, now: number): Map<number, number> | undefined {
    if (this.byTemplate.size === 0) return undefined;
    const s = this.byTemplate.get(templateId);
    if (s === undefined || s.holders === undefined || s.generation !== generation || now > s.validUntil) return undefined;
    return s.holders;
  }

  /** Redis answered "out of stock" with `issued` coupons: start a snapshot, or renew the one there is. */
  soldOut(templateId: number, issued: number, generation: number, now: number): void {
    const s = this.byTemplate.get(templateId);
    if (s !== undefined && s.generation === generation && s.issued === issued) {
      s.validUntil = now + this.ttlMs;
      return;
    }
    if (issued > this.maxHolders || (s === undefined && this.byTemplate.size >= this.maxTemplates)) {
      this.byTemplate.delete(templateId);
      return;
    }
    const snap: Snapshot = { issued, holders: undefined, generation, validUntil: now + this.ttlMs };
    this.byTemplate.set(templateId, snap);
    this.opts.load(templateId).then(
      (hash) => {
        if (this.byTemplate.get(templateId) !== snap) return; // dropped or replaced meanwhile
        const holders = new Map<number, number>();
        for (const user in hash) holders.set(Number(user), Number(hash[user]));
        // One hash entry per coupon issued: anything else is not the final state; do not serve it.
        if (holders.size === issued) snap.holders = holders;
        else this.byTemplate.delete(templateId);
      },
      () => {
        if (this.byTemplate.get(templateId) === snap) this.byTemplate.delete(templateId);
      },
    );
  }

  /** Redis answered something other than "out of stock" for the template (or it was created): forget it. */
  drop(templateId: number): void {
    if (this.byTemplate.size !== 0) this.byTemplate.delete(templateId);
  }

  /** Templates with a snapshot (loaded or loading). */
  get size(): number {
    return this.byTemplate.size;
  }
}
