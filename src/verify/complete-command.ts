import type { PartialAudit } from '../model/verdict.js';
import { redactUrl } from '../shared/redact-url.js';
import type { ResolvedInput } from './resolve-input.js';
import type { VerifyInput } from './verify-input.js';
import { FOREIGN_REDIS_FLAGS } from './foreign-keys.js';

/** What an audit could read. */
export interface ReadInputs {
  ledger: boolean;
  redis: boolean;
  db: boolean;
  /** templates whose stock nothing told */
  stockUnknown: readonly number[];
}

/** Quote an argument for a POSIX shell when it needs it. */
function sh(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A store URL the user gave, unless it holds a password (which is never printed): then a placeholder. */
function urlArg(url: string | undefined, placeholder: string): string {
  return url !== undefined && redactUrl(url) === url ? sh(url) : placeholder;
}

/**
 * The `verify` command that completes an audit: the inputs it read, plus the stores and ledger it
 * lacked as placeholders. A store URL is repeated only when the user gave it and it holds no
 * password; the ones the audit could not read are gone, so they are placeholders.
 */
export function completeCommand(r: ResolvedInput, read: ReadInputs, given: Pick<VerifyInput, 'redisUrl' | 'dbUrl'>): string {
  const args = ['coupon-bench', 'verify'];
  if (r.reportPath) args.push('--report', sh(r.reportPath));
  if (!read.ledger) args.push('--ledger', '<ledger.ndjson>');
  else if (!r.reportPath && r.ledgerPath) args.push('--ledger', sh(r.ledgerPath));
  if (!read.redis) args.push('--redis', '<redis-url>');
  else if (given.redisUrl !== undefined) args.push('--redis', urlArg(given.redisUrl, '<redis-url>'));
  for (const [k, flag] of FOREIGN_REDIS_FLAGS) {
    const key = r.foreign[k];
    if (key !== undefined) args.push(flag, sh(key));
  }
  if (!read.db) args.push('--db', '<db-url>');
  else if (given.dbUrl !== undefined) args.push('--db', urlArg(given.dbUrl, '<db-url>'));
  if (r.foreign.dbQuery !== undefined) args.push('--db-query', sh(r.foreign.dbQuery));
  if (!r.reportPath && r.prefix !== 'cb') args.push('--prefix', sh(r.prefix));
  if (!r.reportPath) for (const id of r.templateIds) args.push('--template', read.stockUnknown.includes(id) ? `${id}:<stock>` : `${id}:${r.stocks.get(id) ?? '<stock>'}`);
  return args.join(' ');
}

/**
 * What a PARTIAL verdict adds: the completing command, the stores the report names that are gone,
 * and the verdict the run's report recorded while they were up (`run --verify`, `demo`).
 */
export function partialAudit(
  share: { judged: number; of: number },
  r: ResolvedInput,
  read: ReadInputs,
  given: Pick<VerifyInput, 'redisUrl' | 'dbUrl'>,
  goneStores: ReadonlyArray<string | undefined>,
): PartialAudit {
  const gone = goneStores.filter((g): g is string => g !== undefined);
  const recorded = gone.length && r.report?.verdict ? `exit ${r.report.verdict.exitCode}: ${r.report.verdict.headline}` : undefined;
  return { ...share, command: completeCommand(r, read, given), ...(gone.length ? { gone } : {}), ...(recorded ? { recorded } : {}) };
}
