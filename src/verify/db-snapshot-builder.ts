import { MAX_EXAMPLES } from './invariants/result.js';
import { couponLabel } from './coupon-label.js';
import type { DbSnapshot } from './snapshot.js';

/** Float64Array that doubles when full. */
function grow(a: Float64Array, n: number): Float64Array {
  if (n < a.length) return a;
  const bigger = new Float64Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Accumulates DB rows into a compact {@link DbSnapshot} (Maps + growable Float64Arrays). */
export class DbSnapshotBuilder {
  private readonly users = new Map<number, number>();
  private readonly coupons: Map<number, string> | undefined;
  private readonly rowCoupons: string[] | undefined;
  private seqs: Float64Array;
  private rowUsers: Float64Array;
  private issuedAt: Float64Array | undefined;
  private rows = 0;
  private seqUnknown = false;
  private duplicateRows = 0;
  /** user -> index in duplicateExamples, so each example names a distinct user */
  private readonly duplicateAt = new Map<number, number>();
  private readonly duplicateRowsOf: number[] = [];
  private readonly duplicateExamples: string[] = [];

  constructor(
    private readonly source: 'store' | 'query',
    expectedRows = 1024,
  ) {
    this.seqs = new Float64Array(Math.max(16, expectedRows));
    this.rowUsers = new Float64Array(this.seqs.length);
    if (source === 'query') [this.coupons, this.rowCoupons] = [new Map(), []];
  }

  /**
   * Add one row; `seq` 0 means unknown (the seq check is then skipped). `coupon` is an opaque
   * coupon id (--db-query), `issuedAt` epoch ms when the query returns an issued_at column.
   */
  add(userId: number, seq: number, coupon?: string, issuedAt?: number): void {
    this.seqs = grow(this.seqs, this.rows);
    this.rowUsers = grow(this.rowUsers, this.rows);
    if (issuedAt !== undefined) {
      this.issuedAt ??= new Float64Array(this.seqs.length);
      this.issuedAt = grow(this.issuedAt, this.rows);
      this.issuedAt[this.rows] = issuedAt;
    }
    this.seqs[this.rows] = seq;
    this.rowUsers[this.rows] = userId;
    this.rows++;
    this.rowCoupons?.push(coupon ?? '');
    if (seq === 0) this.seqUnknown = true;
    const prev = this.users.get(userId);
    if (prev === undefined) {
      this.users.set(userId, seq);
      if (coupon !== undefined) this.coupons?.set(userId, coupon);
      return;
    }
    this.duplicateRows++;
    const at = this.duplicateAt.get(userId);
    const first = couponLabel(prev, this.coupons?.get(userId));
    if (at !== undefined) {
      // One example per user: a third row of the same user updates its example.
      const n = ++this.duplicateRowsOf[at]!;
      this.duplicateExamples[at] = `user ${userId}: ${n} DB rows (${first}, …, ${couponLabel(seq, coupon)})`;
    } else if (this.duplicateExamples.length < MAX_EXAMPLES) {
      this.duplicateAt.set(userId, this.duplicateExamples.length);
      this.duplicateRowsOf.push(2);
      this.duplicateExamples.push(`user ${userId}: two DB rows (${first} and ${couponLabel(seq, coupon)})`);
    }
  }

  /** Row indexes in issue order: by seq when every row has one, else by issued_at, else as read. */
  private issueOrder(): Uint32Array | undefined {
    const key = !this.seqUnknown ? this.seqs : this.issuedAt;
    if (!key) return undefined;
    const order = new Uint32Array(this.rows);
    for (let i = 0; i < this.rows; i++) order[i] = i;
    let sorted = true;
    for (let i = 1; i < this.rows && sorted; i++) if (key[i]! < key[i - 1]!) sorted = false;
    return sorted ? undefined : order.sort((a, b) => key[a]! - key[b]! || a - b);
  }

  build(templateStock?: number): DbSnapshot {
    const order = this.issueOrder();
    let rowUsers = this.rowUsers.subarray(0, this.rows);
    let rowCoupons = this.rowCoupons;
    if (order) {
      rowUsers = Float64Array.from(order, (i) => this.rowUsers[i]!);
      if (rowCoupons) rowCoupons = Array.from(order, (i) => this.rowCoupons![i]!);
    }
    return {
      source: this.source,
      rows: this.rows,
      users: this.users,
      seqs: this.seqUnknown ? undefined : this.seqs.subarray(0, this.rows),
      duplicateRows: this.duplicateRows,
      duplicateExamples: this.duplicateExamples,
      templateStock,
      rowUsers,
      ...(this.coupons ? { coupons: this.coupons } : {}),
      ...(rowCoupons ? { rowCoupons } : {}),
    };
  }
}
