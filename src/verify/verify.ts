import { existsSync } from 'node:fs';
import { CouponBenchError, ExitCode, HarnessInvalidError, UsageError } from '../errors.js';
import { OUTCOMES, type Outcome } from '../model/outcome.js';
import { INVARIANTS, type InvariantResult, type VerdictJson } from '../model/verdict.js';
import { templateKeys, templatesIndexKey } from '../redis/keys.js';
import { sqlitePathOf } from '../store/db-url.js';
import { openStore } from '../store/open-store.js';
import { redactUrl } from '../shared/redact-url.js';
import type { CouponStore } from '../store/store.js';
import { formatHeadline, headlineTotals } from './headline.js';
import { INVARIANT_CHECKS, runInvariant } from './invariants/index.js';
import { applyFaultLosses } from './fault-losses.js';
import { mergeResults } from './merge-results.js';
import { ledgerIntegrityProblem } from './ledger-integrity.js';
import { nothingCheckedReason } from './nothing-checked.js';
import { readQueryTemplate, readStoreTemplate } from './read-db.js';
import { emptyLedgerSnapshot, readLedger, type LedgerFold } from './read-ledger.js';
import type { RedisClient } from '../redis/client.js';
import { connectRedis, whereIs } from './connect-redis.js';
import { readBundledTemplate, waitForDrain } from './read-redis.js';
import { readForeignRedis } from './read-foreign-redis.js';
import { assertBundledSchema } from './bundled-schema.js';
import { FOREIGN_REDIS_FLAGS, hasForeignRedis, isForeign } from './foreign-keys.js';
import { resolveInput, type ResolvedInput } from './resolve-input.js';
import type { VerifyInput } from './verify-input.js';
import { partialAudit } from './complete-command.js';
import { withExercise } from './exercise.js';
import { settleVerdict } from './settle-verdict.js';
import type { RedisSnapshot, TemplateSnapshot } from './snapshot.js';
import { redisRefusal } from '../redis/refusal.js';

export type { VerifyInput };

const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

/**
 * The limit a remaining counter implies: what is left plus what went out, counted in Redis's own
 * holders when named (the same store the counter is in), else the DB rows, else the 200s.
 */
function limitFromRemaining(remaining: number, s: TemplateSnapshot): number {
  const issued = s.redis?.users?.size ?? s.db?.rows ?? s.ledger?.counts.issued ?? 0;
  return remaining + issued;
}

/** Put what Redis holds into the snapshot, or why it holds nothing of the template. */
function attachRedis(s: TemplateSnapshot, snap: RedisSnapshot | undefined, bundled: boolean, prefix: string): void {
  if (!snap) return;
  if (!bundled) {
    s.redis = snap;
    if (!snap.users) s.redisMissing = "another team's Redis: its holders were not named (--redis-users-key)";
  } else if (snap.stock === undefined && (snap.users?.size ?? 0) === 0 && (snap.outbox?.length ?? 0) === 0) {
    s.redisMissing = `template ${s.templateId} not found in Redis under prefix "${prefix}"`;
    s.absentFrom = [{ store: 'redis', where: `in Redis under prefix "${prefix}"`, flag: '--prefix' }];
  } else s.redis = snap;
}

/** The template's limit: declared (flag, else report), else the template table, else Redis (a limit key, or remaining + issued). */
function resolveStock(s: TemplateSnapshot, declared: number | undefined, byFlag: boolean): void {
  if (s.redis?.remaining !== undefined) s.redis.stock = limitFromRemaining(s.redis.remaining, s);
  if (declared !== undefined) [s.stock, s.stockSource] = [declared, byFlag ? 'flag' : 'report'];
  else if (s.db?.templateStock !== undefined) [s.stock, s.stockSource] = [s.db.templateStock, 'db'];
  else if (s.redis?.stock !== undefined) [s.stock, s.stockSource] = [s.redis.stock, 'redis'];
}

/** ` prefix cb`, or the foreign keys read: ` --redis-remaining-key stock:{template}, …`. */
function redisKeysNote(r: ResolvedInput): string {
  const keys = FOREIGN_REDIS_FLAGS.filter(([k]) => r.foreign[k] !== undefined).map(([k, flag]) => `${flag} ${r.foreign[k]}`);
  return keys.length ? ` ${keys.join(', ')}` : ` prefix ${r.prefix}`;
}

/** What was opened; a store the report names that could not be read is `gone` (named for the verdict). */
type Sources = { redis?: RedisClient; redisMissing?: string; redisGone?: string; store?: CouponStore; dbMissing?: string; dbGone?: string };

async function openRedisSource(r: ResolvedInput): Promise<Pick<Sources, 'redis' | 'redisMissing' | 'redisGone'>> {
  if (!r.redisUrl) return { redisMissing: 'no --redis' };
  try {
    return { redis: await connectRedis(r.redisUrl) };
  } catch (err) {
    const refused = redisRefusal(redactUrl(r.redisUrl), (err as Error).message);
    if (refused) throw refused;
    const why = `Redis ${redactUrl(r.redisUrl)} unreachable (${(err as Error).message})`;
    if (r.redisExplicit) throw new HarnessInvalidError(`verify: ${why}`, 'E_REDIS_UNREACHABLE');
    return { redisMissing: `${why}; the run's stores are gone — pass --redis`, redisGone: `Redis ${redactUrl(r.redisUrl)} (unreachable)` };
  }
}

async function openDbSource(r: ResolvedInput): Promise<Pick<Sources, 'store' | 'dbMissing' | 'dbGone'>> {
  if (!r.dbUrl) return { dbMissing: 'no --db' };
  if (r.foreign.dbQuery) return {};
  const sqlitePath = sqlitePathOf(r.dbUrl);
  if (sqlitePath !== undefined && !existsSync(sqlitePath)) {
    // openStore would create an empty database; an audit must never invent the thing it judges.
    const why = `database file ${sqlitePath} does not exist`;
    if (r.dbExplicit) throw new UsageError(`--db: ${why}`, 'E_BAD_DB_URL');
    return { dbMissing: why, dbGone: `database ${redactUrl(r.dbUrl)} (file does not exist)` };
  }
  // openStore creates the bundled schema: never in another service's database (E_DB_QUERY instead).
  if (r.dbExplicit) await assertBundledSchema(r.dbUrl);
  try {
    return { store: await openStore(r.dbUrl) };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Refused credentials, a missing database or one that cannot be opened: the flags are wrong
    // (exit 1, as serve says), not a store that is away (97).
    if (r.dbExplicit && (code === 'E_DB_AUTH' || code === 'E_DB_NOT_FOUND' || code === 'E_DB_INIT')) {
      throw new CouponBenchError(code, `verify: ${(err as Error).message}`);
    }
    const why = `database ${redactUrl(r.dbUrl)} unreachable (${(err as Error).message})`;
    if (r.dbExplicit) throw new HarnessInvalidError(`verify: ${why}`, 'E_DB_UNREACHABLE');
    return { dbMissing: why, dbGone: `database ${redactUrl(r.dbUrl)} (unreachable)` };
  }
}

/**
 * Open what the inputs name. Stores the user named (flags, or the run's flags recorded in its
 * report) must answer (97 otherwise); those of a run's own server are skipped if gone. Nothing
 * stays open when it throws.
 */
async function openSources(r: ResolvedInput): Promise<Sources> {
  const redis = await openRedisSource(r);
  try {
    return { ...redis, ...(await openDbSource(r)) };
  } catch (err) {
    redis.redis?.disconnect();
    throw err;
  }
}

/** Outcome counts of the ledger over the templates judged. */
function ledgerCounts(snaps: readonly TemplateSnapshot[]): Record<Outcome, number> {
  const sum = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const s of snaps) for (const o of OUTCOMES) sum[o] += s.ledger?.counts[o] ?? 0;
  return sum;
}

/** The verdict of an audit that could not read a store it had to (every invariant SKIP, its exit code). */
export function notAuditedVerdict(err: CouponBenchError): VerdictJson {
  return {
    ok: false,
    headline: `not audited: ${err.message} [${err.code}]`,
    templates: [],
    invariants: INVARIANTS.map((name) => ({ name, status: 'SKIP', counts: {}, examples: [], detail: `not audited (${err.code})` })),
    notChecked: [...INVARIANTS],
    exitCode: err.exitCode,
  };
}

/** Templates to judge: flags, else the report, else whatever the stores and ledger know. */
async function discoverTemplates(r: ResolvedInput, redis: RedisClient | undefined, store: CouponStore | undefined, ledger: LedgerFold | undefined): Promise<number[]> {
  if (r.templateIds.length) return r.templateIds;
  const ids = new Set<number>();
  if (redis && !hasForeignRedis(r.foreign)) for (const m of await redis.smembers(templatesIndexKey(r.prefix))) ids.add(Number(m));
  if (store) for (const t of await store.listTemplates()) ids.add(t.templateId);
  if (ledger) for (const id of ledger.templates.keys()) ids.add(id);
  return [...ids].filter((id) => Number.isSafeInteger(id) && id > 0).sort((a, b) => a - b);
}

/** What one template's snapshot is built from. */
interface SnapshotSources {
  r: ResolvedInput;
  input: VerifyInput;
  store: CouponStore | undefined;
  redisSnap: RedisSnapshot | undefined;
  bundledRedis: boolean;
  ledger: LedgerFold | undefined;
  ledgerMode: 'acked' | 'full' | undefined;
  ledgerMissing: string | undefined;
  redisMissing: string | undefined;
  dbMissing: string | undefined;
  /** the audit judges one template (the report's counters are its own) */
  single: boolean;
  /** another team's stores: coupon ids are opaque */
  foreign: boolean;
}

/** One template as the invariants see it: its Redis, database and ledger snapshots and its stock. */
async function templateSnapshot(id: number, src: SnapshotSources): Promise<TemplateSnapshot> {
  const { r, input, store, bundledRedis, ledger, ledgerMode, ledgerMissing, redisMissing, dbMissing, single, foreign } = src;
  const s: TemplateSnapshot = { templateId: id, redisMissing, dbMissing, ledgerMissing, ...(foreign ? { foreign } : {}) };
  attachRedis(s, src.redisSnap, bundledRedis, r.prefix);
  if (r.foreign.dbQuery && r.dbUrl) s.db = await readQueryTemplate(r.dbUrl, r.foreign.dbQuery, id);
  else if (store) {
    s.db = await readStoreTemplate(store, id);
    if (s.db.rows === 0 && s.db.templateStock === undefined) {
      s.absentFrom = [...(s.absentFrom ?? []), { store: 'db', where: `in the database ${store.location}`, flag: '--db' }];
    }
  }
  if (ledger) s.ledger = ledger.templates.get(id) ?? emptyLedgerSnapshot(ledgerMode ?? 'acked');
  const reported = r.report?.outcomes;
  if (s.ledger && s.ledger.mode === 'acked' && reported && single) {
    // An acked ledger holds no refusals; with one template the report's counters are its own.
    for (const o of ['sold_out', 'duplicate', 'not_found', 'rejected'] as const) s.ledger.counts[o] = reported[o] ?? 0;
    s.ledger.refusalsFromReport = true;
  }
  resolveStock(s, r.stocks.get(id), input.stocks?.[id] !== undefined);
  return s;
}

/**
 * Audit Redis, the database and a run's ledger against every invariant of docs/contract.md. Invariants
 * that cannot be judged with the inputs given are SKIP with a reason, never PASS.
 */
export async function verify(input: VerifyInput): Promise<VerdictJson> {
  const r = resolveInput(input);
  const foreign = isForeign(r.foreign);
  const { redis, redisMissing, redisGone, store, dbMissing, dbGone } = await openSources(r);
  try {
    const onlyTemplates = r.templateIds.length ? new Set(r.templateIds) : undefined;
    let ledgerMissing: string | undefined;
    let ledgerP: Promise<LedgerFold | undefined> = Promise.resolve(undefined);
    if (r.ledgerPath) {
      if (existsSync(r.ledgerPath)) ledgerP = readLedger(r.ledgerPath, { only: onlyTemplates, mode: r.ledgerMode, opaqueIds: foreign });
      else if (input.ledgerPath) throw new UsageError(`--ledger: ${r.ledgerPath} does not exist`, 'E_LEDGER');
      else ledgerMissing = `the report's ledger ${r.ledgerPath} is missing`;
    } else ledgerMissing = 'no --ledger or --report';
    // Marked handled now; a read error still surfaces where the promise is awaited below.
    ledgerP.catch(() => undefined);
    // Without named templates the ledger is one of the places they are discovered from.
    let ledger = onlyTemplates ? undefined : await ledgerP;
    const templateIds = await discoverTemplates(r, redis, store, ledger);
    const bundledRedis = redis !== undefined && !hasForeignRedis(r.foreign);

    // Redis is read (after the drain wait) while the ledger streams in: the reply parsing and the
    // file parsing interleave on one thread instead of queueing behind each other.
    let reading: number | undefined;
    const readRedis = async (): Promise<Map<number, RedisSnapshot>> => {
      const out = new Map<number, RedisSnapshot>();
      if (!redis) return out;
      let waitedMs = 0;
      if (bundledRedis && templateIds.length) {
        const outboxes = templateIds.map((id) => templateKeys(r.prefix, id).outbox);
        waitedMs = await waitForDrain(redis, outboxes, input.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
      }
      for (const id of templateIds) {
        reading = id;
        out.set(
          id,
          bundledRedis
            ? await readBundledTemplate(redis, templateKeys(r.prefix, id), waitedMs)
            : await readForeignRedis(redis, r.foreign, id, templateIds.length > 1),
        );
      }
      return out;
    };
    // Redis went away during the audit (or one cluster master did): what is left cannot be judged.
    const unreachable = (err: unknown): never => {
      if (err instanceof CouponBenchError || !redis) throw err;
      const at = reading === undefined ? '' : ` reading template ${reading}${whereIs(redis, templateKeys(r.prefix, reading).stock)}`;
      throw new HarnessInvalidError(`verify: Redis ${redactUrl(r.redisUrl!)} unreachable${at} (${(err as Error).message})`, 'E_REDIS_UNREACHABLE');
    };
    const [redisSnaps, ledgerFold] = await Promise.all([readRedis().catch(unreachable), ledgerP]);
    ledger ??= ledgerFold;
    const ledgerMode = ledger ? (r.ledgerMode ?? (ledger.hasRefusals ? 'full' : 'acked')) : undefined;
    const waitedMs = [...redisSnaps.values()][0]?.outbox?.waitedMs ?? 0;

    const snaps: TemplateSnapshot[] = [];
    for (const id of templateIds) {
      snaps.push(await templateSnapshot(id, { r, input, store, redisSnap: redisSnaps.get(id), bundledRedis, ledger, ledgerMode, ledgerMissing, redisMissing, dbMissing, single: templateIds.length === 1, foreign }));
    }

    const invariants: InvariantResult[] = INVARIANT_CHECKS.map(([name, check]) =>
      mergeResults(name, snaps.map((s) => ({ templateId: s.templateId, result: withExercise(runInvariant(name, check, s), s) }))),
    );
    applyFaultLosses(invariants, r.report?.faults);

    const torn = ledger && r.ledgerPath ? ledgerIntegrityProblem(r.ledgerPath, ledger, r.report?.ledger) : undefined;
    const unchecked = torn ?? nothingCheckedReason(r.report, ledger && { records: ledger.records, mode: ledgerMode, counts: ledgerCounts(snaps) });
    // A PASS never hides what it did not check or could not have caught: the headline names the
    // skipped and unexercised invariants, and --strict refuses to pass with any.
    const totals = headlineTotals(snaps, r.report?.outcomes);
    const settled = settleVerdict({ invariants, torn, unchecked, strict: input.strict === true, headline: formatHeadline(totals, invariants) });
    const { exitCode, notChecked, notExercised, strictRefused } = settled;
    const headline = templateIds.length === 0 ? 'nothing to check: no template found (pass --template or --report)' : settled.headline;
    const read = { ledger: ledger !== undefined, redis: redisSnaps.size > 0, db: snaps.some((s) => s.db !== undefined), stockUnknown: snaps.filter((s) => s.stock === undefined).map((s) => s.templateId) };
    const partial = settled.partial && partialAudit(settled.partial, r, read, input, [redisGone, dbGone]);
    return {
      ok: exitCode === ExitCode.Ok,
      headline,
      templates: templateIds,
      invariants,
      notChecked,
      ...(notExercised.length ? { notExercised } : {}),
      ...(partial ? { partial } : {}),
      ...(totals.issued !== undefined && templateIds.length > 0 ? { issued: totals.issued } : {}),
      ...(strictRefused ? { strictRefused } : {}),
      ...(torn ? { ledgerIncomplete: true } : {}),
      exitCode,
      sources: {
        ...(r.reportPath ? { report: r.reportPath } : {}),
        ...(r.ledgerPath ? { ledger: `${r.ledgerPath}${ledgerMode ? ` (${ledgerMode})` : ''}` } : {}),
        ...(r.redisUrl ? { redis: `${redactUrl(r.redisUrl)}${redisKeysNote(r)}${redisGone ? ' — gone, not read' : ''}` } : {}),
        ...(r.dbUrl ? { db: `${redactUrl(r.dbUrl)}${r.foreign.dbQuery ? ' (--db-query)' : ''}${dbGone ? ' — gone, not read' : ''}` } : {}),
        ...(waitedMs ? { drainWaitMs: String(waitedMs) } : {}),
      },
    };
  } finally {
    redis?.disconnect();
    await store?.close();
  }
}
