import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { isClusterUrl, parseClusterUrl, parseRedisUrl } from '../../src/redis/redis-url.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof UsageError ? err.code : 'not a UsageError';
  }
  return undefined;
};

describe('Redis URLs', () => {
  it('takes a cluster address apart into seeds and shared credentials', () => {
    expect(parseClusterUrl('redis+cluster://127.0.0.1:7000,127.0.0.1:7001')).toEqual({
      seeds: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
    });
    expect(parseClusterUrl('redis+cluster://u%40x:p%3Aw@node-a:7000/')).toEqual({ seeds: [{ host: 'node-a', port: 7000 }], username: 'u@x', password: 'p:w' });
    expect(parseClusterUrl('redis+cluster://:secret@[::1]:7000')).toEqual({ seeds: [{ host: '::1', port: 7000 }], password: 'secret' });
    expect(isClusterUrl('redis+cluster://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1')).toBe(false);
  });

  it.each([
    'redis+cluster://',
    'redis+cluster://127.0.0.1',
    'redis+cluster://127.0.0.1:7000,',
    'redis+cluster://127.0.0.1:0',
    'redis+cluster://127.0.0.1:70000',
    'redis+cluster://127.0.0.1:7000/2',
    'redis+cluster://127.0.0.1:7000?x=1',
    'redis+cluster://a b:7000',
    'redis+cluster://%zz@a:7000',
  ])('refuses %s with E_BAD_REDIS_URL, naming the address', (url) => {
    expect(codeOf(() => parseRedisUrl(url))).toBe('E_BAD_REDIS_URL');
    expect(() => parseRedisUrl(url)).toThrow(/redis\+cluster:\/\/host:port,host:port/);
  });

  it('keeps accepting redis:// and rediss://, and names all three schemes when refusing another', () => {
    expect(codeOf(() => parseRedisUrl('redis://127.0.0.1:6379/2'))).toBeUndefined();
    expect(codeOf(() => parseRedisUrl('rediss://h:6380'))).toBeUndefined();
    expect(() => parseRedisUrl('cluster://a:1')).toThrow(/redis:\/\/, rediss:\/\/ or redis\+cluster:\/\//);
  });

  it('refuses a URL with no host, port 0, or a path that is not a database index (ioredis would connect to 127.0.0.1:6379, or SELECT NaN)', () => {
    for (const url of ['redis://', 'redis://:pw@', 'redis://127.0.0.1:0']) expect(codeOf(() => parseRedisUrl(url)), url).toBe('E_BAD_REDIS_URL');
    for (const url of ['redis://127.0.0.1:6379/abc', 'redis://h:1/1/2', 'redis://h:1/-1', 'redis://h:1/1.5']) {
      expect(() => parseRedisUrl(url), url).toThrow(/the path must be a database index/);
    }
    // the password never reaches the message
    expect(() => parseRedisUrl('redis://:s3cret@h:1/x')).toThrow(/redis:\/\/:\*\*\*@h:1\/x/);
    for (const url of ['redis://h:1/', 'redis://h:1/15', 'redis://localhost']) expect(codeOf(() => parseRedisUrl(url)), url).toBeUndefined();
  });
});
