import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, notApplicable, skip } from './result.js';

/** `outbox-drained`: no pending or unread outbox entries remain (after waiting up to a timeout). */
export function outboxDrained(s: TemplateSnapshot): InvariantResult {
  const name = 'outbox-drained';
  const o = s.redis?.outbox;
  if (s.foreign) return notApplicable(name, "another team's service: no coupon-bench outbox to drain");
  if (!o) return skip(name, `outbox not read: ${s.redisMissing ?? 'no bundled Redis layout'}`);
  const off = new Offences();
  if (o.undelivered > 0 || o.pending > 0) {
    off.add(`${o.undelivered} entries unread, ${o.pending} read but not acknowledged, after waiting ${o.waitedMs} ms`);
  }
  if (o.length > 0 && !o.groupExists) off.add('the persister consumer group does not exist: nothing reads the outbox');
  const counts = { length: o.length, unread: o.undelivered, pending: o.pending, waitedMs: o.waitedMs };
  return judge(name, off, counts, o.length ? `all ${o.length} entries read and acknowledged` : 'outbox empty, nothing pending', 'outbox not drained: issued coupons not yet (or never) persisted');
}
