import { describe, expect, it } from 'vitest';
import { parseOutboxBuffers, parseOutboxEntry } from '../../src/store/outbox-entry.js';
import { hasStalledConsumer } from '../../src/store/outbox-reader.js';
import { workerExecArgv } from '../../src/store/persister.js';
import { parseMysqlUrl, parsePostgresUrl } from '../../src/store/db-url.js';
import { StoreConflictError, isDataError } from '../../src/store/store-errors.js';

describe('parseOutboxEntry', () => {
  it('maps u, s, t, tpl to an IssuedRow with the derived coupon id', () => {
    expect(parseOutboxEntry(7, '1-0', ['u', '42', 's', '3', 't', '1700000000000', 'tpl', '7'])).toEqual({
      id: '1-0',
      row: { couponId: '7-3', templateId: 7, userId: 42, seq: 3, issuedAt: 1700000000000 },
    });
  });
  it.each([
    [['u', '42', 's', '3', 't', '1']],
    [['u', 'x', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '-1', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '1.5', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '9007199254740993', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '1', 's', '0', 't', '1', 'tpl', '7']],
    [['u', '1', 's', '3', 't', '1', 'tpl', '8']],
    [[]],
  ])('rejects malformed %j with a reason', (fields) => {
    const p = parseOutboxEntry(7, '1-0', fields);
    expect('reason' in p && p.reason.length > 0).toBe(true);
  });
});

describe('parseOutboxBuffers (hot path on raw reply bytes)', () => {
  const b = (xs: string[]): Buffer[] => xs.map((x) => Buffer.from(x));
  it('agrees with parseOutboxEntry on a well-formed entry', () => {
    const fields = ['u', '42', 's', '3', 't', '1700000000000', 'tpl', '7'];
    expect(parseOutboxBuffers(7, b(fields))).toEqual((parseOutboxEntry(7, '1-0', fields) as { row: unknown }).row);
  });
  it.each([
    [['u', '42', 's', '3', 't', '1']],
    [['u', 'x', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '-1', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '1.5', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '9007199254740993', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '12345678901234567', 's', '3', 't', '1', 'tpl', '7']],
    [['u', '1', 's', '0', 't', '1', 'tpl', '7']],
    [['u', '1', 's', '3', 't', '1', 'tpl', '8']],
    [['s', '3', 'u', '1', 't', '1', 'tpl', '7']],
    [['u', '1', 's', '3', 't', '1', 'tpx', '7']],
  ])('leaves %j to the string parser (undefined)', (fields) => {
    expect(parseOutboxBuffers(7, b(fields))).toBeUndefined();
  });
});

describe('workerExecArgv', () => {
  it('drops main-entry-only flags and their values, keeps the rest', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'code', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv(['--input-type', 'module', '--no-warnings', '--eval', 'x'])).toEqual(['--no-warnings']);
    expect(workerExecArgv(['-p', '1+1', '--cpu-prof', '--enable-source-maps'])).toEqual(['--cpu-prof', '--enable-source-maps']);
    expect(workerExecArgv(['--watch', '--test', '--import', 'tsx'])).toEqual(['--import', 'tsx']);
  });
});

describe('hasStalledConsumer (XINFO CONSUMERS)', () => {
  // Redis 7.0 replies name/pending/idle; 7.2 adds inactive.
  const c = (name: string, pending: number, idle: number): unknown[] => ['name', name, 'pending', pending, 'idle', idle, 'inactive', idle];
  it('is true only for a consumer holding entries and silent for the claim idle time', () => {
    expect(hasStalledConsumer([], 100)).toBe(false);
    expect(hasStalledConsumer([c('live', 2000, 3)], 100)).toBe(false);
    expect(hasStalledConsumer([c('idle-but-empty', 0, 60_000)], 100)).toBe(false);
    expect(hasStalledConsumer([c('live', 5, 3), c('dead', 300, 150)], 100)).toBe(true);
    expect(hasStalledConsumer([c('dead', 1, 100)], 100)).toBe(true);
    expect(hasStalledConsumer([['name', 'old', 'pending', 1, 'idle', 99]], 100)).toBe(false);
  });
});

describe('isDataError', () => {
  it('separates row problems (dead-letter candidates) from transient failures (retry forever)', () => {
    const withCode = (code: string): Error => Object.assign(new Error(code), { code });
    expect(isDataError(new StoreConflictError('x'))).toBe(true);
    expect(isDataError(withCode('23505'))).toBe(true);
    expect(isDataError(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBe(true);
    expect(isDataError(withCode('ER_DUP_ENTRY'))).toBe(true);
    expect(isDataError(withCode('ECONNREFUSED'))).toBe(false);
    expect(isDataError(withCode('57P01'))).toBe(false);
    expect(isDataError(withCode('SQLITE_BUSY'))).toBe(false);
    expect(isDataError(withCode('PROTOCOL_CONNECTION_LOST'))).toBe(false);
    expect(isDataError(new Error('no code'))).toBe(false);
  });
});

describe('database URLs', () => {
  it('splits schema and pool off a postgres URL', () => {
    const p = parsePostgresUrl('postgres://u:p@db:5433/app?schema=run_1&pool=8&sslmode=disable');
    expect(p.schema).toBe('run_1');
    expect(p.pool).toBe(8);
    expect(p.connectionString).toBe('postgres://u:p@db:5433/app?sslmode=disable');
    expect(parsePostgresUrl('postgresql://db/app').schema).toBe('public');
  });
  it('parses a mysql URL with defaults', () => {
    expect(parseMysqlUrl('mysql://root@127.0.0.1/test')).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      database: 'test',
      pool: undefined,
    });
    expect(parseMysqlUrl('mariadb://a:b%40c@h:3307/db?pool=3')).toMatchObject({ user: 'a', password: 'b@c', port: 3307, pool: 3 });
  });
});
