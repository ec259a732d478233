import { MAX_EXAMPLES } from './invariants/result.js';
import type { DbSnapshot } from './snapshot.js';

/** Accumulates DB rows into a compact {@link DbSnapshot} (Map + growable Float64Array). */
export class DbSnapshotBuilder {
  private readonly users = new Map<number, number>();
  private seqs: Float64Array;
  private rows = 0;
  private seqUnknown = false;
  private duplicateRows = 0;
  private readonly duplicateExamples: string[] = [];

  constructor(
    private readonly source: 'store' | 'query',
    expectedRows = 1024,
  ) {
    this.seqs = new Float64Array(Math.max(16, expectedRows));
  }

  /** Add one row; `seq` 0 means unknown (the seq check is then skipped). */
  add(userId: number, seq: number): void {
    if (this.rows === this.seqs.length) {
      const bigger = new Float64Array(this.seqs.length * 2);
      bigger.set(this.seqs);
      this.seqs = bigger;
    }
    this.seqs[this.rows++] = seq;
    if (seq === 0) this.seqUnknown = true;
    const prev = this.users.get(userId);
    if (prev === undefined) {
      this.users.set(userId, seq);
    } else {
      this.duplicateRows++;
      if (this.duplicateExamples.length < MAX_EXAMPLES) {
        this.duplicateExamples.push(`user ${userId}: two DB rows (seq ${prev || '?'} and ${seq || '?'})`);
      }
    }
  }

  build(templateStock?: number): DbSnapshot {
    return {
      source: this.source,
      rows: this.rows,
      users: this.users,
      seqs: this.seqUnknown ? undefined : this.seqs.subarray(0, this.rows),
      duplicateRows: this.duplicateRows,
      duplicateExamples: this.duplicateExamples,
      templateStock,
    };
  }
}
