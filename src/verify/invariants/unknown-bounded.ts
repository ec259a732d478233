import type { InvariantResult } from '../../model/verdict.js';
import { OUTCOME_INDEX } from '../../model/outcome.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { outcomeBit } from '../snapshot.js';
import { Offences, heldLabel, holdings, holdingsMissing, judge, skip } from './result.js';

const UNKNOWN = outcomeBit(OUTCOME_INDEX.unknown);

/** `unknown-bounded`: rows beyond the acknowledged ones come only from `unknown` requests. */
export function unknownBounded(s: TemplateSnapshot): InvariantResult {
  const name = 'unknown-bounded';
  if (!s.ledger) return skip(name, `no ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  const held = holdings(s);
  if (!held) return skip(name, holdingsMissing(s));
  const off = new Offences();
  let beyondAcked = 0;
  for (const user of held.users.keys()) {
    if (s.ledger.issuedSeq.has(user)) continue;
    beyondAcked++;
    const bits = s.ledger.outcomesByUser.get(user) ?? 0;
    if ((bits & UNKNOWN) === 0) off.add(`user ${user}: holds ${heldLabel(held, user)}, was never told 200 nor left unknown`);
  }
  const unknown = s.ledger.counts.unknown;
  const counts = { acked: s.ledger.issuedSeq.size, beyondAcked, unknownRequests: unknown, unexplained: off.count };
  return judge(
    name,
    off,
    counts,
    `${beyondAcked} coupon(s) beyond the ${s.ledger.issuedSeq.size} acknowledged, all from ${unknown} unknown request(s)`,
    'coupons no answer accounts for',
  );
}
