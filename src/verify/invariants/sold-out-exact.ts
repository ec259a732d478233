import type { InvariantResult } from '../../model/verdict.js';
import { outcomeBit, type TemplateSnapshot } from '../snapshot.js';
import { OUTCOME_INDEX } from '../../model/outcome.js';
import { Offences, holdings, holdingsMissing, judge, skip } from './result.js';

const UNKNOWN = outcomeBit(OUTCOME_INDEX.unknown);

/** `sold-out-exact`: when demand ≥ stock and the run ended, issued == stock (no leaked stock). */
export function soldOutExact(s: TemplateSnapshot): InvariantResult {
  const name = 'sold-out-exact';
  if (s.stock === undefined) return skip(name, 'stock unknown');
  if (!s.ledger) return skip(name, `demand unknown without a ledger: ${s.ledgerMissing ?? 'pass --report or --ledger'}`);
  const held = holdings(s);
  if (!held) return skip(name, holdingsMissing(s));
  const stock = s.stock;
  const soldOut = s.ledger.counts.sold_out;
  // A user whose every answer was unknown and who holds nothing may never have reached the service
  // (a refused connection, a killed server): no proof of demand, so not counted.
  let askers = s.ledger.issuedSeq.size;
  if (s.ledger.mode === 'full') {
    askers = 0;
    for (const [user, bits] of s.ledger.outcomesByUser) if (bits !== UNKNOWN || held.users.has(user)) askers++;
  }
  const counts = { stock, issued: held.users.size, askers, soldOutAnswers: soldOut };
  // Demand reached the stock when as many distinct users asked, or when the service itself said sold out.
  if (askers < stock && soldOut === 0) {
    return skip(name, `demand (${askers} users) below stock ${stock} and no sold-out answer: nothing to exhaust`, counts);
  }
  const off = new Offences();
  if (held.users.size < stock) off.add(`${held.source}: ${held.users.size} issued < stock ${stock} though ${soldOut ? `${soldOut} were told sold out` : `${askers} users asked`}`);
  if (held.users.size > stock) off.add(`${held.source}: ${held.users.size} issued > stock ${stock}`);
  return judge(name, off, counts, `sold out at exactly ${stock}`, 'stock leaked or overrun');
}
