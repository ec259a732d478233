// Clear, typed errors (stable codes, no stack, no password) for bad URLs, unreachable servers and bad credentials.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CouponBenchError } from '../../src/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { connectError as mysqlConnectError } from '../../src/store/mysql-store.js';
import { MYSQL_URL, PG_URL } from '../helpers/env.js';

const failure = (url: string): Promise<CouponBenchError> =>
  openStore(url).then(
    () => {
      throw new Error(`openStore(${url}) unexpectedly succeeded`);
    },
    (e: unknown) => e as CouponBenchError,
  );

const withCreds = (url: string, user: string, password: string): string => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};

describe('store connection errors', () => {
  it.each([
    ['ftp://x', 'E_BAD_DB_URL'],
    ['sqlite:', 'E_BAD_DB_URL'],
    ['postgres://', 'E_BAD_DB_URL'],
    ['postgres://127.0.0.1/test?schema=bad-name;drop', 'E_BAD_DB_URL'],
    ['postgres://127.0.0.1/test?pool=0', 'E_BAD_DB_URL'],
    ['mysql://127.0.0.1:3306/', 'E_BAD_DB_URL'],
    ['mysql://127.0.0.1:3306/bad`name', 'E_BAD_DB_URL'],
    ['mysql://127.0.0.1:3306/test?pool=abc', 'E_BAD_DB_URL'],
  ])('bad URL %s -> %s', async (url, code) => {
    const err = await failure(url);
    expect(err).toBeInstanceOf(CouponBenchError);
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(1);
  });

  it.each([
    ['postgres://postgres@127.0.0.1:1/test'],
    ['mysql://root@127.0.0.1:1/test'],
  ])('unreachable server %s -> E_DB_UNREACHABLE', async (url) => {
    const err = await failure(url);
    expect(err.code).toBe('E_DB_UNREACHABLE');
    expect(err.message).toMatch(/cannot reach/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  /** A server on a free port that answers every connection with `reply` and closes it. */
  async function refusingServer(reply: (sock: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      reply(sock);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it.each([
    ['57P03', 'the database system is starting up', 'E_DB_UNREACHABLE'],
    ['53300', 'sorry, too many clients already', 'E_DB_UNREACHABLE'],
    ['57P01', 'terminating connection due to administrator command', 'E_DB_UNREACHABLE'],
    ['08006', 'connection failure', 'E_DB_UNREACHABLE'],
    // Waiting cannot fix a protocol violation.
    ['08P01', 'invalid startup packet layout', 'E_DB_INIT'],
  ])('PostgreSQL refusing the startup with %s (%s) -> %s', async (sqlstate, text, code) => {
    // An ErrorResponse to the startup message, as a server that is starting up sends.
    const field = (t: string, v: string): Buffer => Buffer.concat([Buffer.from(t), Buffer.from(v), Buffer.from([0])]);
    const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlstate), field('M', text), Buffer.from([0])]);
    const head = Buffer.alloc(5);
    head.write('E', 0);
    head.writeInt32BE(body.length + 4, 1);
    const srv = await refusingServer((sock) => sock.once('data', () => sock.end(Buffer.concat([head, body]))));
    try {
      const err = await failure(`postgres://postgres@127.0.0.1:${srv.port}/test`);
      expect(err.code).toBe(code);
      expect(err.message).toContain(text);
    } finally {
      await srv.close();
    }
  });

  it('MySQL/MariaDB with too many connections (1040) -> E_DB_UNREACHABLE', async () => {
    // The error packet a server sends instead of its greeting: 0xff, errno (LE), message.
    const payload = Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')]);
    const head = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 0]);
    const srv = await refusingServer((sock) => sock.end(Buffer.concat([head, payload])));
    try {
      const err = await failure(`mysql://root@127.0.0.1:${srv.port}/test`);
      expect(err.code).toBe('E_DB_UNREACHABLE');
      expect(err.message).toContain('Too many connections');
    } finally {
      await srv.close();
    }
  });

  it('PostgreSQL unknown role -> E_DB_AUTH, password not echoed', async () => {
    const err = await failure(withCreds(PG_URL, 'no_such_role_cb', 's3cret'));
    expect(err.code).toBe('E_DB_AUTH');
    expect(err.message).not.toContain('s3cret');
  });

  it('MySQL/MariaDB wrong password -> E_DB_AUTH, password not echoed', async () => {
    const err = await failure(withCreds(MYSQL_URL, 'root', 'definitely-wrong'));
    expect(err.code).toBe('E_DB_AUTH');
    expect(err.message).not.toContain('definitely-wrong');
    expect(err.message).toContain('***');
  });

  it('MySQL/MariaDB unknown user -> E_DB_AUTH too, as PostgreSQL says of an unknown role', async () => {
    const err = await failure(withCreds(MYSQL_URL, 'no_such_user_cb', 's3cret'));
    expect(err.code).toBe('E_DB_AUTH');
    expect(err.message).not.toContain('s3cret');
    // an account that takes no password (MariaDB's unix_socket ones) answers with a code of its own
    for (const code of ['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_DBACCESS_DENIED_ERROR']) {
      expect(mysqlConnectError(Object.assign(new Error('Access denied'), { code }), 'h').code, code).toBe('E_DB_AUTH');
    }
  });
});
