import type { InvariantResult } from '../../model/verdict.js';
import { OUTCOME_INDEX } from '../../model/outcome.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { outcomeBit } from '../snapshot.js';
import { Offences, heldLabel, holdings, holdingsMissing, judge, skip } from './result.js';

const REFUSED = outcomeBit(OUTCOME_INDEX.sold_out) | outcomeBit(OUTCOME_INDEX.duplicate) | outcomeBit(OUTCOME_INDEX.not_found);
// A coupon is explained by a 200 or by a request whose effect is unknown.
const MAY_HOLD = outcomeBit(OUTCOME_INDEX.issued) | outcomeBit(OUTCOME_INDEX.unknown);
const DUPLICATE = outcomeBit(OUTCOME_INDEX.duplicate);

/**
 * `no-lied-refusal`: no user told sold_out/duplicate/not_found holds a coupon they did not already
 * have. Clock-free: a refused user's coupon must be explained by a 200 or an unknown answer of
 * theirs; a user told "duplicate" must hold one.
 */
export function noLiedRefusal(s: TemplateSnapshot): InvariantResult {
  const name = 'no-lied-refusal';
  if (!s.ledger) return skip(name, `no ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  if (s.ledger.mode !== 'full') return skip(name, "the ledger holds no refusals ('acked'); run without --ledger acked");
  const held = holdings(s);
  if (!held) return skip(name, holdingsMissing(s));
  const off = new Offences();
  let refusedUsers = 0;
  let heldAfterRefusal = 0;
  let duplicateWithout = 0;
  for (const [user, bits] of s.ledger.outcomesByUser) {
    if ((bits & REFUSED) === 0) continue;
    refusedUsers++;
    if (bits & MAY_HOLD) continue;
    if (held.users.has(user)) {
      heldAfterRefusal++;
      off.add(`user ${user}: only ever refused, yet holds ${heldLabel(held, user)}`);
    } else if (bits & DUPLICATE) {
      duplicateWithout++;
      off.add(`user ${user}: told duplicate, holds no coupon`);
    }
  }
  const counts = { refusedUsers, heldAfterRefusal, duplicateWithout };
  return judge(name, off, counts, `${refusedUsers} refused users, every refusal true`, 'refusals that were not true');
}
