import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CouponBenchError, UsageError } from '../../src/errors.js';
import { validateDbUrl } from '../../src/store/db-url.js';
import { isRedacted, redactUrl } from '../../src/shared/redact-url.js';
import { validateStoreUrls } from '../../src/store/store-urls.js';
import { resolveInput } from '../../src/verify/resolve-input.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as CouponBenchError).exitCode).toBe(1);
    return (err as CouponBenchError).code;
  }
  return undefined;
}

describe('validateStoreUrls: malformed stores are usage errors, found before any work', () => {
  it.each([
    [{ redis: 'nonsense' }, 'E_BAD_REDIS_URL'],
    [{ redis: 'http://127.0.0.1:6379' }, 'E_BAD_REDIS_URL'],
    [{ db: 'foo:bar' }, 'E_BAD_DB_URL'],
    [{ db: 'sqlite:' }, 'E_BAD_DB_URL'],
    [{ db: 'postgres://127.0.0.1/test?schema=no;drop' }, 'E_BAD_DB_URL'],
    [{ db: 'mysql://127.0.0.1:3306/' }, 'E_BAD_DB_URL'],
    // a misspelt schema would write to public, ignored by the driver with nothing said
    [{ db: 'postgres://127.0.0.1/test?shema=t1' }, 'E_BAD_DB_URL'],
    [{ db: 'postgres://127.0.0.1/test?schemas=t1' }, 'E_BAD_DB_URL'],
    [{ db: 'postgres://127.0.0.1/test?pol=4' }, 'E_BAD_DB_URL'],
    [{ db: 'mysql://127.0.0.1:3306/db?schema=t1' }, 'E_BAD_DB_URL'],
    [{ prefix: 'has space' }, 'E_BAD_PREFIX'],
  ])('%o -> %s', (stores, code) => {
    expect(codeOf(() => validateStoreUrls(stores))).toBe(code);
  });

  it('accepts every supported form, and nothing named at all', () => {
    for (const db of ['sqlite:./x.sqlite', 'sqlite:///abs/x.sqlite', 'postgres://u:p@h/db?schema=s&pool=3', 'postgresql://h/db', 'mysql://root@h:3306/db', 'mariadb://h/db?pool=2',
      'postgres://h/db?sslmode=disable&application_name=cb&port=5433&options=-c%20statement_timeout%3D5000']) {
      expect(() => validateDbUrl(db)).not.toThrow();
    }
    expect(() => validateStoreUrls({ redis: 'redis://127.0.0.1:1', db: 'sqlite:x', prefix: 'cb' })).not.toThrow();
    expect(() => validateStoreUrls({})).not.toThrow();
  });

  it('names where a value came from, and never shows a password', () => {
    expect(() => validateStoreUrls({ db: 'oracle://scott:tiger@h/x' }, 'r/report.json (stores)')).toThrow(/^r\/report\.json \(stores\): --db: unsupported URL "oracle:\/\/scott:\*\*\*@h\/x"/);
  });
});

describe('resolveInput (verify) checks store URLs before opening anything', () => {
  it('flags: --db foo:bar and --redis nonsense are exit-1 usage errors, not "unreachable"', () => {
    expect(codeOf(() => resolveInput({ ledgerPath: 'l.ndjson', dbUrl: 'foo:bar' }))).toBe('E_BAD_DB_URL');
    expect(codeOf(() => resolveInput({ ledgerPath: 'l.ndjson', redisUrl: 'nonsense' }))).toBe('E_BAD_REDIS_URL');
  });

  it("a report's malformed stores too, unless a flag replaces them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-urls-'));
    const path = join(dir, 'report.json');
    writeFileSync(path, JSON.stringify({ templates: [{ templateId: 1, stock: 1 }], stores: { redis: 'nonsense', db: 'foo:bar' } }));
    expect(codeOf(() => resolveInput({ reportPath: path }))).toBe('E_BAD_REDIS_URL');
    expect(codeOf(() => resolveInput({ reportPath: path, redisUrl: 'redis://127.0.0.1:6379' }))).toBe('E_BAD_DB_URL');
    expect(resolveInput({ reportPath: path, redisUrl: 'redis://127.0.0.1:6379', dbUrl: 'sqlite:x' }).dbUrl).toBe('sqlite:x');
  });
});

describe('redactUrl', () => {
  it('takes out passwords in the user info and as query parameters, and says so', () => {
    expect(redactUrl('postgres://u:s3cret@h:5432/db?schema=x')).toBe('postgres://u:***@h:5432/db?schema=x');
    expect(redactUrl('redis://:s3cret@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(redactUrl('postgres://u@h/db?password=s3cret&schema=x&sslpassword=k3y')).toBe('postgres://u@h/db?password=***&schema=x&sslpassword=***');
    for (const url of ['postgres://u:s3cret@h/db', 'postgres://u@h/db?schema=x&password=s3cret', 'mysql://root:pw@h/db']) {
      expect(redactUrl(url)).not.toMatch(/s3cret|pw@/);
      expect(isRedacted(redactUrl(url))).toBe(true);
    }
    for (const url of ['postgres://postgres@127.0.0.1:5432/test?schema=x', 'redis://127.0.0.1:6379', 'sqlite:./a.sqlite']) {
      expect(redactUrl(url)).toBe(url);
      expect(isRedacted(url)).toBe(false);
    }
  });
});
