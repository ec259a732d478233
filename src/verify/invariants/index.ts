import type { InvariantName } from '../../model/verdict.js';
import type { Invariant } from './result.js';
import { noOverIssue } from './no-over-issue.js';
import { noDuplicateUser } from './no-duplicate-user.js';
import { seqContiguous } from './seq-contiguous.js';
import { redisDbMatch } from './redis-db-match.js';
import { outboxDrained } from './outbox-drained.js';
import { noLostAck } from './no-lost-ack.js';
import { noPhantom } from './no-phantom.js';
import { noLiedRefusal } from './no-lied-refusal.js';
import { soldOutExact } from './sold-out-exact.js';
import { unknownBounded } from './unknown-bounded.js';

/** Every invariant of DESIGN.md, in the table's order. */
export const INVARIANT_CHECKS: ReadonlyArray<readonly [InvariantName, Invariant]> = [
  ['no-over-issue', noOverIssue],
  ['no-duplicate-user', noDuplicateUser],
  ['seq-contiguous', seqContiguous],
  ['redis-db-match', redisDbMatch],
  ['outbox-drained', outboxDrained],
  ['no-lost-ack', noLostAck],
  ['no-phantom', noPhantom],
  ['no-lied-refusal', noLiedRefusal],
  ['sold-out-exact', soldOutExact],
  ['unknown-bounded', unknownBounded],
];
