import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, heldLabel, holdings, holdingsMissing, judge, skip } from './result.js';

/** `no-phantom`: every DB row belongs to a user the ledger shows attempting that template. */
export function noPhantom(s: TemplateSnapshot): InvariantResult {
  const name = 'no-phantom';
  if (!s.ledger) return skip(name, `no ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  if (s.ledger.mode !== 'full') return skip(name, "the ledger records only issued/unknown answers ('acked'); run without --ledger acked");
  const held = holdings(s);
  if (!held) return skip(name, holdingsMissing(s));
  const off = new Offences();
  for (const user of held.users.keys()) {
    if (!s.ledger.outcomesByUser.has(user)) off.add(`user ${user}: holds ${heldLabel(held, user)}, never asked`);
  }
  const counts = { holders: held.users.size, attempters: s.ledger.outcomesByUser.size, phantoms: off.count };
  return judge(name, off, counts, `every ${held.source} holder asked for a coupon`, `coupons held by users who never asked`);
}
