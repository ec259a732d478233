import { UsageError } from '../errors.js';
import { redactUrl } from '../shared/redact-url.js';

/**
 * `--db` URLs: which engine they name, and every check that can be made without connecting. Kept
 * free of the drivers so commands can validate a URL before doing any work.
 */

const PG_IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MYSQL_DB_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Which engine a `--db` URL names; throws a UsageError for anything else. */
export function dbEngineOf(url: string): 'sqlite' | 'postgres' | 'mysql' {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mysql';
  throw new UsageError(
    `--db: unsupported URL "${redactUrl(url)}" (expected sqlite:<path>, postgres://… or mysql://…)`,
    'E_BAD_DB_URL',
  );
}

/** The file path of a `sqlite:` URL (`sqlite:./x.sqlite`, `sqlite:///abs/x.sqlite`), or undefined for other engines. */
export function sqlitePathOf(dbUrl: string): string | undefined {
  return dbUrl.startsWith('sqlite:') ? dbUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : undefined;
}

/** Parsed `postgres://` URL: the pg connection string without our own parameters. */
export interface PostgresUrl {
  connectionString: string;
  schema: string;
  pool: number | undefined;
}

function poolOf(u: URL): number | undefined {
  const poolRaw = u.searchParams.get('pool');
  const pool = poolRaw === null ? undefined : Number(poolRaw);
  if (pool !== undefined && (!Number.isInteger(pool) || pool < 1 || pool > 1000)) {
    throw new UsageError(`--db: pool=${poolRaw} must be an integer 1..1000`, 'E_BAD_DB_URL');
  }
  return pool;
}

/** A database server's URL, parsed, with a host; throws UsageError (E_BAD_DB_URL) otherwise. */
function serverUrl(url: string, kind: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--db: "${redactUrl(url)}" is not a valid ${kind} URL`, 'E_BAD_DB_URL');
  }
  if (!u.hostname) throw new UsageError(`--db: "${redactUrl(url)}" has no host`, 'E_BAD_DB_URL');
  return u;
}

/** Edit distance of two short strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Refuse a parameter that looks like a misspelt `schema` or `pool` (`?shema=t1`): the pg driver
 * ignores what it does not know, so the run would write to `public` with nothing said. Other
 * parameters go to the driver (sslmode, application_name, options, ...).
 */
function refuseNearMisses(u: URL, url: string): void {
  for (const name of u.searchParams.keys()) {
    const n = name.toLowerCase();
    for (const ours of ['schema', 'pool']) {
      if (name !== ours && editDistance(n, ours) <= (ours.length > 4 ? 2 : 1)) {
        throw new UsageError(`--db: "${redactUrl(url)}": unknown parameter "${name}" (did you mean ${ours}?)`, 'E_BAD_DB_URL');
      }
    }
  }
}

/** Split our parameters (`schema`, `pool`) off a postgres:// URL; throws UsageError on nonsense. */
export function parsePostgresUrl(url: string): PostgresUrl {
  const u = serverUrl(url, 'postgres://');
  refuseNearMisses(u, url);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!PG_IDENT.test(schema)) throw new UsageError(`--db: schema "${schema}" must match ${PG_IDENT.source}`, 'E_BAD_DB_URL');
  const pool = poolOf(u);
  u.searchParams.delete('schema');
  u.searchParams.delete('pool');
  return { connectionString: u.toString(), schema, pool };
}

/** Connection settings parsed from a mysql:// (or mariadb://) URL. */
export interface MysqlUrl {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  pool: number | undefined;
}

/** Parse `mysql://user:pass@host:port/database?pool=n`; throws UsageError on nonsense. */
export function parseMysqlUrl(url: string): MysqlUrl {
  const u = serverUrl(url, 'mysql://');
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!MYSQL_DB_NAME.test(database)) {
    throw new UsageError(`--db: "${redactUrl(url)}" needs a database name matching ${MYSQL_DB_NAME.source}, e.g. mysql://root@127.0.0.1:3306/coupons`, 'E_BAD_DB_URL');
  }
  const port = u.port === '' ? 3306 : Number(u.port);
  // Nothing else of the query is read: a parameter would be ignored with nothing said.
  for (const name of u.searchParams.keys()) {
    if (name !== 'pool') throw new UsageError(`--db: "${redactUrl(url)}": unknown parameter "${name}" (mysql:// takes only ?pool=n)`, 'E_BAD_DB_URL');
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
    pool: poolOf(u),
  };
}

/** The file of a `sqlite:` URL; throws a UsageError (`E_BAD_DB_URL`) when it names none. */
export function sqliteFileOf(url: string): string {
  const path = sqlitePathOf(url) ?? '';
  if (path === '') throw new UsageError('--db: sqlite: URL needs a path, e.g. sqlite:./coupons.sqlite', 'E_BAD_DB_URL');
  return path;
}

/**
 * Check a `--db` URL as far as it can be checked without connecting (engine, sqlite path, host,
 * schema, database name, pool); throws a UsageError (`E_BAD_DB_URL`) naming the problem.
 */
export function validateDbUrl(url: string): void {
  switch (dbEngineOf(url)) {
    case 'sqlite':
      sqliteFileOf(url);
      return;
    case 'postgres':
      parsePostgresUrl(url);
      return;
    case 'mysql':
      parseMysqlUrl(url);
      return;
  }
}
