import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { LEDGER_FILE, REPORT_FILE } from '../model/ledger-record.js';
import type { RunReport } from '../model/report.js';
import { DEFAULT_PREFIX } from '../redis/keys.js';
import { isRedacted } from '../shared/redact-url.js';
import { validateStoreUrls } from '../store/store-urls.js';
import type { VerifyInput } from './verify-input.js';
import { checkForeignFlags } from './foreign-keys.js';
import type { ForeignStoreFlags } from '../model/foreign-stores.js';

/** Inputs after reading the report and applying flags over it. */
export interface ResolvedInput {
  report?: RunReport;
  reportPath?: string;
  ledgerPath?: string;
  ledgerMode?: 'full' | 'acked';
  redisUrl?: string;
  /** it must answer (unreachable = exit 97): named by a flag, by the run's flags, or `storesRequired` */
  redisExplicit: boolean;
  dbUrl?: string;
  dbExplicit: boolean;
  prefix: string;
  /** template ids to judge; empty = discover */
  templateIds: number[];
  /** declared stock per template (flags first, then the report) */
  stocks: Map<number, number>;
  /** another team's stores: flags first, then what the run recorded */
  foreign: ForeignStoreFlags;
}

/** The newest `reports/<run-id>/report.json` under `reportsDir`, or undefined. */
export function findLatestReport(reportsDir: string): string | undefined {
  let best: { path: string; mtime: number } | undefined;
  let entries: string[];
  try {
    entries = readdirSync(reportsDir);
  } catch {
    return undefined;
  }
  for (const name of entries) {
    const path = join(reportsDir, name, REPORT_FILE);
    try {
      const mtime = statSync(path).mtimeMs;
      if (!best || mtime > best.mtime) best = { path, mtime };
    } catch {
      // not a run folder
    }
  }
  return best?.path;
}

function readReport(path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--report: cannot read ${path} (${(err as Error).message})`, 'E_REPORT');
  }
  try {
    const r = JSON.parse(text) as RunReport;
    if (typeof r !== 'object' || r === null || !Array.isArray(r.templates)) throw new Error('no templates array');
    return r;
  } catch (err) {
    throw new UsageError(`--report: ${path} is not a coupon-bench report (${(err as Error).message})`, 'E_REPORT');
  }
}

/** The ledger a report names: as written, relative to the report, or next to it. */
function ledgerOfReport(report: RunReport, reportPath: string): string {
  const dir = dirname(reportPath);
  const file = report.ledger?.file ?? LEDGER_FILE;
  const candidates = isAbsolute(file) ? [file, join(dir, basename(file))] : [resolve(dir, file), resolve(file), join(dir, basename(file))];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Read the report (given or latest), then let flags override what it says. */
export function resolveInput(input: VerifyInput): ResolvedInput {
  // Malformed store URLs are usage errors before any work, not "unreachable" after it.
  validateStoreUrls({ redis: input.redisUrl, db: input.dbUrl, prefix: input.prefix });
  const noFlags = !input.reportPath && !input.ledgerPath && !input.redisUrl && !input.dbUrl;
  let reportPath = input.reportPath;
  if (noFlags) {
    const dir = resolve(input.reportsDir ?? 'reports');
    reportPath = findLatestReport(dir);
    if (!reportPath) {
      throw new UsageError(`verify: no run found under ${dir}; pass --report, or --ledger/--redis/--db`, 'E_NO_RUN');
    }
  }
  const report = reportPath ? readReport(reportPath) : undefined;
  if (report?.stores) {
    const fromReport = report.stores;
    // report.json keeps store URLs without their passwords: such a store must be named again.
    for (const [flag, url, given] of [
      ['--redis', fromReport.redis, input.redisUrl],
      ['--db', fromReport.db, input.dbUrl],
    ] as const) {
      if (given === undefined && url !== undefined && isRedacted(url)) {
        throw new UsageError(`${reportPath}: the report keeps ${url} without its password; pass ${flag} <url> with it`, 'E_PASSWORD_NEEDED');
      }
    }
    validateStoreUrls(
      { redis: input.redisUrl ? undefined : fromReport.redis, db: input.dbUrl ? undefined : fromReport.db, prefix: input.prefix ? undefined : fromReport.prefix },
      `${reportPath} (stores)`,
    );
  }
  const prefix = input.prefix ?? report?.stores?.prefix ?? DEFAULT_PREFIX;
  const stocks = new Map<number, number>();
  for (const t of report?.templates ?? []) stocks.set(t.templateId, t.stock);
  for (const [id, stock] of Object.entries(input.stocks ?? {})) stocks.set(Number(id), stock);
  const templateIds = input.templateIds?.length ? [...input.templateIds] : (report?.templates ?? []).map((t) => t.templateId);
  for (const id of templateIds) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`--template: "${id}" is not a positive integer`, 'E_BAD_TEMPLATE');
  }
  const foreign: ForeignStoreFlags = {};
  for (const k of ['dbQuery', 'redisStockKey', 'redisRemainingKey', 'redisUsersKey'] as const) {
    const v = input[k] ?? report?.stores?.[k];
    if (v !== undefined) foreign[k] = v;
  }
  checkForeignFlags(foreign, { redis: (input.redisUrl ?? report?.stores?.redis) !== undefined, db: (input.dbUrl ?? report?.stores?.db) !== undefined });
  // Stores the run was told about by its user must be read now as then; a run's own server's are not.
  const reportStoresRequired = input.storesRequired === true || report?.stores?.source === 'flags';
  return {
    report,
    reportPath,
    ledgerPath: input.ledgerPath ?? (report && reportPath ? ledgerOfReport(report, reportPath) : undefined),
    ledgerMode: input.ledgerPath ? undefined : report?.ledger?.mode,
    redisUrl: input.redisUrl ?? report?.stores?.redis,
    redisExplicit: input.redisUrl !== undefined || (report?.stores?.redis !== undefined && reportStoresRequired),
    dbUrl: input.dbUrl ?? report?.stores?.db,
    dbExplicit: input.dbUrl !== undefined || (report?.stores?.db !== undefined && reportStoresRequired),
    prefix,
    templateIds: [...new Set(templateIds)],
    stocks,
    foreign,
  };
}
