/**
 * How an example names a coupon: its opaque id as the service gave it (`coupon "1-17"`), else
 * its seq (`seq 17`), else `a coupon` when neither is known. A foreign id is never read as a seq.
 */
export function couponLabel(seq: number | undefined, coupon?: string): string {
  if (coupon !== undefined && coupon !== '') return `coupon ${JSON.stringify(coupon)}`;
  return seq ? `seq ${seq}` : 'a coupon';
}
