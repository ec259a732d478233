// Clear, typed errors (stable codes, no stack, no password) for bad URLs, unreachable servers and bad credentials.
import { describe, expect, it } from 'vitest';
import { CouponBenchError } from '../../src/errors.js';
import { openStore } from '../../src/store/open-store.js';
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
});
