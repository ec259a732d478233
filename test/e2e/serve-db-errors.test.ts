// `coupon-bench serve --db …` with a database it cannot use: a bad URL, a server nobody listens on,
// credentials the server refuses. Each must fail fast with one clear line carrying a stable code,
// exit 1, no stack trace, and never print the password.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, PG_URL, REDIS_URL, uniquePrefix } from '../helpers/env.js';
import { BIN } from './serve-harness.js';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn `serve` (shared Redis, so no private redis-server) and wait for it to exit (bounded). */
function serveFails(db: string, cwd: string, extra: string[] = []): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--redis', REDIS_URL, '--prefix', uniquePrefix('dberr'), '--db', db, ...extra], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve --db ${db} did not exit in time:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A local port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const withPort = (url: string, port: number): string => {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
};
const withAuth = (url: string, user: string, password: string): string => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};

/** One line on stderr, `coupon-bench: … [CODE]`, no stack frames, nothing on stdout, exit 1. */
function expectOneLineError(r: Exit, code: string, text: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^coupon-bench: .*\\[${code}\\]$`));
  expect(lines[0]).toMatch(text);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
  expect(r.stdout).not.toMatch(/listening on/);
}

describe('coupon-bench serve --db: clear errors for databases it cannot use (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-serve-dberr-'));
  let port = 0;
  beforeAll(async () => {
    port = await closedPort();
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('a URL of no supported engine: E_BAD_DB_URL naming the accepted forms', async () => {
    const r = await serveFails('oracle://scott:tiger@127.0.0.1/orcl', cwd);
    expectOneLineError(r, 'E_BAD_DB_URL', /unsupported URL .*sqlite:<path>, postgres:\/\/… or mysql:\/\//);
    expect(r.stderr).not.toContain('tiger');
  });

  it('a SQLite file whose folder cannot be made (under /proc, where a recursive mkdir never returns): E_DB_INIT at once', async () => {
    const r = await serveFails('sqlite:/proc/cb-nope/x.sqlite', cwd);
    expectOneLineError(r, 'E_DB_INIT', /cannot open SQLite database at \/proc\/cb-nope\/x\.sqlite: cannot create \/proc\/cb-nope/);
  });

  it('a MySQL URL without a database name: E_BAD_DB_URL with an example', async () => {
    const u = new URL(MYSQL_URL);
    u.pathname = '';
    const r = await serveFails(u.toString(), cwd);
    expectOneLineError(r, 'E_BAD_DB_URL', /needs a database name.*e\.g\. mysql:\/\//);
  });

  it('a PostgreSQL URL with a bad schema name: E_BAD_DB_URL', async () => {
    const r = await serveFails(`${PG_URL}?schema=no;drop`, cwd);
    expectOneLineError(r, 'E_BAD_DB_URL', /schema "no;drop"/);
  });

  it('PostgreSQL not listening: E_DB_UNREACHABLE, exit 1', async () => {
    const r = await serveFails(withPort(PG_URL, port), cwd);
    expectOneLineError(r, 'E_DB_UNREACHABLE', new RegExp(`cannot reach PostgreSQL at .*:${port}.*ECONNREFUSED.*\\(start anyway with --wait-for-db\\)`));
  });

  it('MariaDB/MySQL not listening: E_DB_UNREACHABLE, exit 1', async () => {
    const r = await serveFails(withPort(MYSQL_URL, port), cwd);
    expectOneLineError(r, 'E_DB_UNREACHABLE', new RegExp(`cannot reach MySQL/MariaDB at .*:${port}.*ECONNREFUSED`));
  });

  it('PostgreSQL refusing the credentials: E_DB_AUTH, password redacted', async () => {
    // The local server trusts every password, so an unknown role is what it refuses.
    const r = await serveFails(withAuth(PG_URL, 'cb_no_such_role', 'hunter2secret'), cwd);
    expectOneLineError(r, 'E_DB_AUTH', /PostgreSQL at postgres:\/\/cb_no_such_role:\*\*\*@.* refused the credentials/);
    expect(r.stderr).not.toContain('hunter2secret');
  });

  it('--wait-for-db waits only for a database that does not answer: refused credentials still fail at once', async () => {
    const r = await serveFails(withAuth(PG_URL, 'cb_no_such_role', 'hunter2secret'), cwd, ['--wait-for-db']);
    expectOneLineError(r, 'E_DB_AUTH', /refused the credentials/);
    expect(r.stderr).not.toMatch(/--wait-for-db/);
  });

  it('MariaDB/MySQL refusing the credentials: E_DB_AUTH, password redacted', async () => {
    const r = await serveFails(withAuth(MYSQL_URL, 'root', 'hunter2secret'), cwd);
    expectOneLineError(r, 'E_DB_AUTH', /MySQL\/MariaDB at mysql:\/\/root:\*\*\*@.* refused the credentials.*Access denied/);
    expect(r.stderr).not.toContain('hunter2secret');
  });

  it('a PostgreSQL database that does not exist: E_DB_NOT_FOUND', async () => {
    const u = new URL(PG_URL);
    u.pathname = '/cb_no_such_database';
    const r = await serveFails(u.toString(), cwd);
    expectOneLineError(r, 'E_DB_NOT_FOUND', /database "cb_no_such_database" does not exist/);
  });

  it('a SQLite path that is a folder, or a file that is not SQLite: E_DB_INIT, no driver stack', async () => {
    const folder = await serveFails(`sqlite:${cwd}`, cwd);
    expectOneLineError(folder, 'E_DB_INIT', /cannot open SQLite database at /);
    const notDb = join(cwd, 'not-a-database.txt');
    writeFileSync(notDb, 'this is not a SQLite file, just some text long enough to have a header\n'.repeat(20));
    const r = await serveFails(`sqlite:${notDb}`, cwd);
    expectOneLineError(r, 'E_DB_INIT', /cannot open SQLite database at .*not-a-database\.txt/);
  });
});
