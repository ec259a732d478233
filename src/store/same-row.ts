import type { IssuedRow } from './store.js';
import { StoreConflictError } from './store-errors.js';

/** The stored columns of an issued row (numbers may come back as strings from some drivers). */
export interface StoredIssued {
  coupon_id: string;
  template_id: number | string;
  user_id: number | string;
  seq: number | string;
}

/**
 * A row skipped because its coupon id exists is a redelivery only if it is the same row; anything
 * else (or no row at all: another unique key made the upsert a no-op) is a conflict.
 */
export function assertSameRow(r: IssuedRow, stored: StoredIssued | undefined): void {
  if (!stored) {
    throw new StoreConflictError(
      `coupon ${r.couponId} (template ${r.templateId}, user ${r.userId}, seq ${r.seq}) conflicts with another coupon of the same user or seq`,
    );
  }
  if (Number(stored.template_id) !== r.templateId || Number(stored.user_id) !== r.userId || Number(stored.seq) !== r.seq) {
    throw new StoreConflictError(
      `coupon ${r.couponId} is stored for user ${stored.user_id}, seq ${stored.seq}, but redelivered for user ${r.userId}, seq ${r.seq}`,
    );
  }
}
