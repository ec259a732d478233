import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, fmt, heldLabel, holdings, holdingsMissing, judge, skip } from './result.js';
import { couponLabel } from '../coupon-label.js';

/** `template 1 is not in Redis under prefix "x": wrong --prefix or template id?` */
function absentHint(s: TemplateSnapshot, only?: 'redis' | 'db'): string | undefined {
  const absent = (s.absentFrom ?? []).filter((a) => only === undefined || a.store === only);
  if (absent.length === 0) return undefined;
  return `template ${s.templateId} is not ${absent.map((a) => a.where).join(', nor ')}: wrong ${[...absent.map((a) => a.flag), 'template id'].join(' or ')}?`;
}

/** ` (seq 3)`, ` (coupon "A-7")`, or nothing when the answer named no coupon. */
function toldOf(seq: number, coupon: string | undefined): string {
  return seq || coupon ? ` (${couponLabel(seq, coupon)})` : '';
}

/**
 * `no-lost-ack`: every `issued` answer in the ledger has its row in the DB (same coupon). A store
 * that was read and does not know the template at all holds none of the acknowledged coupons: that
 * fails too (with a hint at the likely wrong --prefix, --db or template id), never a SKIP.
 */
export function noLostAck(s: TemplateSnapshot): InvariantResult {
  const name = 'no-lost-ack';
  if (!s.ledger) return skip(name, `no ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  const held = holdings(s);
  const acked = s.ledger.issuedSeq.size;
  if (!held) {
    const hint = acked > 0 ? absentHint(s) : undefined;
    if (hint === undefined) return skip(name, holdingsMissing(s));
    const off = new Offences();
    for (const [user, seq] of s.ledger.issuedSeq) off.add(`user ${user}: told 200${toldOf(seq, s.ledger.issuedCoupon?.get(user))}, template unknown to the store`);
    return judge(name, off, { acked, missing: acked }, '', `${fmt(acked)} coupon(s) were confirmed to clients, but ${hint}`);
  }
  const off = new Offences();
  let missing = 0;
  let wrongCoupon = 0;
  for (const [user, seq] of s.ledger.issuedSeq) {
    const heldSeq = held.users.get(user);
    const told = couponLabel(seq, s.ledger.issuedCoupon?.get(user));
    if (heldSeq === undefined) {
      missing++;
      off.add(`user ${user}: told 200${toldOf(seq, s.ledger.issuedCoupon?.get(user))}, no ${held.source} row`);
      continue;
    }
    // Opaque coupon ids are compared as strings when both sides have one, seqs otherwise.
    const toldCoupon = s.ledger.issuedCoupon?.get(user);
    const heldCoupon = held.coupons?.get(user);
    const differ = toldCoupon && heldCoupon ? toldCoupon !== heldCoupon : seq !== 0 && heldSeq !== 0 && seq !== heldSeq;
    if (differ) {
      wrongCoupon++;
      off.add(`user ${user}: told ${told}, ${held.source} holds ${heldLabel(held, user)}`);
    }
  }
  const counts = { acked, missing, wrongCoupon };
  const hint = missing > 0 ? absentHint(s, held.source === 'DB' ? 'db' : 'redis') : undefined;
  return judge(
    name,
    off,
    counts,
    `all ${acked} acknowledged coupons are in the ${held.source}`,
    `clients were told 200 for coupons the ${held.source} does not hold${hint ? ` (${hint})` : ''}`,
  );
}
