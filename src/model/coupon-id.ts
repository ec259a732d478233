/**
 * Coupon ids are derived from (templateId, seq), so a redelivered outbox entry maps to the same
 * primary key and the insert stays idempotent.
 */
export function couponIdOf(templateId: number, seq: number): string {
  return `${templateId}-${seq}`;
}

/** Inverse of {@link couponIdOf}; undefined when the id is not of that shape. */
export function parseCouponId(id: string): { templateId: number; seq: number } | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  const templateId = Number(id.slice(0, dash));
  const seq = Number(id.slice(dash + 1));
  if (!Number.isSafeInteger(templateId) || !Number.isSafeInteger(seq) || templateId <= 0 || seq <= 0) return undefined;
  return { templateId, seq };
}
