// The one RESP reply reader: every reply whole or cut anywhere, the typed cursor steps, errors.
import { describe, expect, it } from 'vitest';
import { RESP_INCOMPLETE, RedisReplyError, RespReader } from '../../src/redis/resp-reader.js';
import { posIntAt, readStreams } from '../../src/store/stream-reply.js';

const reader = (s: string | Buffer): RespReader => {
  const r = new RespReader();
  r.append(Buffer.from(s));
  return r;
};

describe('RespReader', () => {
  const mixed = ':42\r\n:-7\r\n+OK\r\n-ERR boom\r\n$6\r\nhé✓\r\n$-1\r\n*-1\r\n*3\r\n:1\r\n*2\r\n$0\r\n\r\n-NOSCRIPT x\r\n$2\r\nab\r\n';
  const values = [42, -7, 'OK', new RedisReplyError('ERR boom'), 'hé✓', null, null, [1, ['', new RedisReplyError('NOSCRIPT x')], 'ab']];

  it('decodes every reply type generically, error replies as values', () => {
    const r = reader(mixed);
    const out: unknown[] = [];
    while (r.pos < r.buf.length) out.push(r.any());
    expect(out).toEqual(values);
    expect((out[3] as Error).name).toBe('ReplyError');
  });

  it('says incomplete for every cut of a reply, and decodes it whole once the rest came', () => {
    const bytes = Buffer.from(mixed);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = new RespReader();
      r.append(bytes.subarray(0, cut));
      const out: unknown[] = [];
      for (;;) {
        const start = r.pos;
        const v = r.any();
        if (v === RESP_INCOMPLETE) {
          r.pos = start;
          break;
        }
        out.push(v);
      }
      r.append(bytes.subarray(cut));
      while (r.pos < r.buf.length) out.push(r.any());
      expect(out).toEqual(values);
    }
  });

  it('reads typed headers and bulk ranges, throwing error replies and foreign types', () => {
    const r = reader('*2\r\n$3\r\nabc\r\n$-1\r\n-WRONGTYPE no\r\n:5\r\n');
    expect(r.header(42)).toBe(2);
    const start = r.bulkRange() as number;
    expect(r.buf.toString('latin1', start, r.bulkEnd)).toBe('abc');
    expect(r.bulkRange()).toBe(-1);
    expect(() => r.header(42)).toThrow(RedisReplyError);
    expect(() => r.header(42)).toThrow(/unexpected RESP type :/);
    expect(() => reader('?what\r\n').any()).toThrow(/unexpected RESP type \?/);
    expect(reader('$5\r\nab').bulkRange()).toBe(RESP_INCOMPLETE);
  });
});

describe('readStreams (XREADGROUP reply on the shared reader)', () => {
  const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  const entry = (id: string, fields: string[] | null): string =>
    `*2\r\n${bulk(id)}${fields === null ? '*-1\r\n' : `*${fields.length}\r\n${fields.map(bulk).join('')}`}`;
  const reply = `*1\r\n*2\r\n${bulk('p:{t3}:outbox')}*3\r\n${entry('1-1', ['u', '42', 's', '1', 't', '1700000000000', 'tpl', '3'])}${entry('1-2', ['u', 'x', 'n', 'é'])}${entry('1-3', null)}`;

  it('decodes rows, field strings and deleted entries, whole or cut anywhere', () => {
    const expected = [
      {
        key: 'p:{t3}:outbox',
        entries: [
          { id: '1-1', row: { couponId: '3-1', templateId: 3, userId: 42, seq: 1, issuedAt: 1700000000000 }, fields: null },
          { id: '1-2', row: undefined, fields: ['u', 'x', 'n', 'é'] },
          { id: '1-3', row: undefined, fields: null },
        ],
      },
    ];
    const bytes = Buffer.from(reply);
    for (let cut = 1; cut <= bytes.length; cut++) {
      const r = new RespReader();
      r.append(bytes.subarray(0, cut));
      let v = readStreams(r);
      if (cut < bytes.length) {
        expect(v).toBe(RESP_INCOMPLETE);
        r.pos = 0;
        r.append(bytes.subarray(cut));
        v = readStreams(r);
      }
      expect(v).toEqual(expected);
    }
    expect(readStreams(reader('*-1\r\n'))).toBeNull();
    expect(() => readStreams(reader('-NOGROUP none\r\n'))).toThrow(/NOGROUP/);
    expect([posIntAt(Buffer.from('0'), 0, 1), posIntAt(Buffer.from('12'), 0, 2), posIntAt(Buffer.from('1x'), 0, 2)]).toEqual([-1, 12, -1]);
  });
});
