import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, holdings, holdingsMissing, judge, skip } from './result.js';

/** `no-lost-ack`: every `issued` answer in the ledger has its row in the DB (same coupon). */
export function noLostAck(s: TemplateSnapshot): InvariantResult {
  const name = 'no-lost-ack';
  if (!s.ledger) return skip(name, `no ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  const held = holdings(s);
  if (!held) return skip(name, holdingsMissing(s));
  const off = new Offences();
  let missing = 0;
  let wrongCoupon = 0;
  for (const [user, seq] of s.ledger.issuedSeq) {
    const heldSeq = held.users.get(user);
    if (heldSeq === undefined) {
      missing++;
      off.add(`user ${user}: told 200${seq ? ` (seq ${seq})` : ''}, no ${held.source} row`);
    } else if (seq !== 0 && heldSeq !== 0 && seq !== heldSeq) {
      wrongCoupon++;
      off.add(`user ${user}: told seq ${seq}, ${held.source} holds seq ${heldSeq}`);
    }
  }
  const counts = { acked: s.ledger.issuedSeq.size, missing, wrongCoupon };
  return judge(
    name,
    off,
    counts,
    `all ${s.ledger.issuedSeq.size} acknowledged coupons are in the ${held.source}`,
    `clients were told 200 for coupons the ${held.source} does not hold`,
  );
}
