import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerMatcher } from '../../src/dialect/answer-matcher.js';
import { applyDialect } from '../../src/dialect/dialect.js';
import { loadDialectFile } from '../../src/dialect/dialect-file.js';
import { parsePointer, readPointer } from '../../src/dialect/json-pointer.js';
import { compileRequest } from '../../src/dialect/request-template.js';
import { prepareRunDialect } from '../../src/dialect/run-dialect.js';
import { loadScenario, validateScenario } from '../../src/run/plan/scenario.js';
import { UsageError } from '../../src/errors.js';

const CLAIMS = {
  method: 'POST',
  path: '/v1/campaigns/{templateId}/claims',
  headers: { 'X-Member-Id': '{userId}', Authorization: 'Bearer {env.SHOP_TOKEN}' },
  body: { memberId: '{userId}', channel: 'app', ref: 'u{userId}-r{requestId}', tags: ['{templateId}'] },
};

/** Split a wire request into head lines and body. */
function split(wire: string): { lines: string[]; body: string } {
  const at = wire.indexOf('\r\n\r\n');
  return { lines: wire.slice(0, at).split('\r\n'), body: wire.slice(at + 4) };
}

describe('request template', () => {
  it('fills ids per request: a whole-string numeric placeholder is a number, inside a string it is text', () => {
    const c = compileRequest(CLAIMS, '127.0.0.1:9', { SHOP_TOKEN: 's3cr3t' });
    const { lines, body } = split(c.wire(7, 42, 1001));
    expect(lines[0]).toBe('POST /v1/campaigns/7/claims HTTP/1.1');
    expect(lines).toContain('host: 127.0.0.1:9');
    expect(lines).toContain('x-member-id: 42');
    expect(lines).toContain('authorization: Bearer s3cr3t');
    expect(lines).toContain('content-type: application/json');
    expect(JSON.parse(body)).toEqual({ memberId: 42, channel: 'app', ref: 'u42-r1001', tags: [7] });
    expect(lines).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(c.perRequest).toBe(true);
    // the same template again with other ids: nothing of the previous request stays
    expect(JSON.parse(split(c.wire(8, 5, 1002)).body)).toEqual({ memberId: 5, channel: 'app', ref: 'u5-r1002', tags: [8] });
  });

  it('a string body is sent as is with its content type; Content-Length counts bytes of non-ASCII env values', () => {
    const c = compileRequest({ path: '/p/{templateId}', body: 'member={userId}&note={env.NOTE}', contentType: 'application/x-www-form-urlencoded' }, 'h', { NOTE: 'café' });
    const wire = Buffer.from(c.wire(1, 2, 3), 'latin1');
    const text = wire.toString('utf8');
    expect(text).toMatch(/content-type: application\/x-www-form-urlencoded\r\n/);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('member=2&note=café');
    expect(text).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
    expect(c.perRequest).toBe(false);
  });

  it('parts() gives undici the same request', () => {
    const c = compileRequest(CLAIMS, 'h', { SHOP_TOKEN: 't' });
    const p = c.parts(3, 9, 77);
    expect(p.path).toBe('/v1/campaigns/3/claims');
    expect(p.headers).toEqual(['x-member-id', '9', 'authorization', 'Bearer t', 'content-type', 'application/json']);
    expect(JSON.parse(p.body.toString('utf8'))).toEqual({ memberId: 9, channel: 'app', ref: 'u9-r77', tags: [3] });
  });

  it('a missing {env.NAME} is a usage error naming the field and the variable; an unknown placeholder too', () => {
    expect(() => compileRequest(CLAIMS, 'h', {})).toThrow(/request\.headers\.Authorization: \{env\.SHOP_TOKEN\} names the environment variable SHOP_TOKEN, which is not set/);
    try {
      prepareRunDialect({ request: CLAIMS }, {});
      expect.unreachable();
    } catch (e) {
      expect((e as UsageError).code).toBe('E_DIALECT_ENV');
    }
    expect(() => compileRequest({ path: '/x/{user}' }, 'h', {})).toThrow(/request\.path: unknown placeholder \{user\}/);
    expect(() => compileRequest({ path: '/x', headers: { Host: 'x' } }, 'h', {})).toThrow(/set by coupon-bench itself/);
  });
});

describe('answers', () => {
  const answers = new AnswerMatcher([
    { status: 201, outcome: 'issued', couponId: '/data/claimId' },
    { status: 409, outcome: 'duplicate', couponId: '/error/claimId' },
    { status: 410, outcome: 'sold_out' },
    { status: [400, 422], body: { '/error/code': 'SOLD_OUT' }, outcome: 'sold_out' },
    { status: '4xx', body: { '/error/code': 'DUP', '/error/n': [1] }, outcome: 'duplicate' },
    { status: 202, outcome: 'accepted' },
  ]);
  const b = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

  it('the first matching rule wins; coupon ids are read through JSON Pointers, numbers as text', () => {
    expect(answers.match(201, b({ data: { claimId: 'C-x' } }))).toEqual({ outcome: 'issued', couponId: 'C-x', err: undefined });
    expect(answers.match(409, b({ error: { claimId: 17 } }))).toEqual({ outcome: 'duplicate', couponId: '17', err: undefined });
    expect(answers.match(410, undefined).outcome).toBe('sold_out');
    expect(answers.match(422, b({ error: { code: 'SOLD_OUT' } })).outcome).toBe('sold_out');
    expect(answers.match(429, b({ error: { code: 'DUP', n: [1] } })).outcome).toBe('duplicate');
  });

  it('accepted is no acknowledgement: recorded as unknown (err ACCEPTED)', () => {
    expect(answers.match(202, undefined)).toEqual({ outcome: 'unknown', couponId: undefined, err: 'ACCEPTED' });
  });

  it('unmatched: 5xx unknown, the rest rejected, counted with up to five samples of status and body head', () => {
    const m = new AnswerMatcher([{ status: 201, outcome: 'issued' }]);
    expect(m.match(503, b({ e: 1 }))).toEqual({ outcome: 'unknown', couponId: undefined, err: 'UNMATCHED_503' });
    expect(m.match(400, b({ error: { code: 'SOLD_OUT' } })).outcome).toBe('rejected');
    for (let i = 0; i < 6; i++) m.match(401, Buffer.from('x'.repeat(500)));
    expect(m.unmatched).toBe(8);
    expect(m.samples).toHaveLength(5);
    expect(m.samples[0]).toEqual({ status: 503, body: '{"e":1}' });
    expect(m.samples[4]?.body).toHaveLength(200);
    // no answer at all is unknown, not an unmatched answer
    expect(m.match(0, undefined).outcome).toBe('unknown');
    expect(m.unmatched).toBe(8);
  });

  it('JSON Pointers follow RFC 6901 (escapes, arrays)', () => {
    const doc = { 'a/b': { '~c': [10, 20] } };
    expect(readPointer(doc, parsePointer('/a~1b/~0c/1'))).toBe(20);
    expect(readPointer(doc, parsePointer('/a~1b/~0c/01'))).toBeUndefined();
    expect(readPointer(doc, parsePointer(''))).toBe(doc);
    expect(() => parsePointer('data/x')).toThrow(/must start with "\/"/);
  });
});

describe('dialect in scenarios and files', () => {
  const bad = (patch: object): string => {
    try {
      validateScenario({ ...loadScenario('seed-k6'), ...patch }, 'x.json');
    } catch (e) {
      expect((e as UsageError).code).toMatch(/^E_(SCENARIO|DIALECT)_INVALID$/);
      return (e as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  it('a bad request or answers names the field', () => {
    expect(bad({ request: { method: 'POST' } })).toMatch(/request is missing the required field "path"/);
    expect(bad({ request: { path: 'v1' } })).toMatch(/request\.path must match pattern/);
    expect(bad({ answers: [{ status: 201, outcome: 'granted' }] })).toMatch(/answers\.0\.outcome must be one of "issued"/);
    expect(bad({ answers: [{ status: '2yy', outcome: 'issued' }] })).toMatch(/answers\.0\.status/);
    expect(bad({ answers: [{ status: 201, outcome: 'issued', couponId: 'data' }] })).toMatch(/answers\.0\.couponId/);
    expect(bad({ request: { path: '/x/{member}' } })).toMatch(/request\.path: unknown placeholder \{member\}/);
  });

  it('--dialect wins over the scenario, the scenario over the bundled default, each half on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-dialect-'));
    const file = join(dir, 'my-api.json');
    writeFileSync(file, JSON.stringify({ answers: [{ status: 201, outcome: 'issued' }] }));
    const d = await loadDialectFile(file);
    const own = { ...loadScenario('seed-k6'), request: { path: '/mine' }, answers: [{ status: 200, outcome: 'issued' as const }] };
    const merged = applyDialect(own, d);
    expect(merged.request).toEqual({ path: '/mine' });
    expect(merged.answers).toEqual([{ status: 201, outcome: 'issued' }]);
    expect(applyDialect(loadScenario('burst'), undefined).request).toBeUndefined();
    writeFileSync(file, JSON.stringify({ reqest: {} }));
    await expect(loadDialectFile(file)).rejects.toThrow(/my-api\.json: invalid dialect:[\s\S]*unknown field "reqest"/);
    await expect(loadDialectFile(join(dir, 'none.json'))).rejects.toThrow(/--dialect: cannot read .*none\.json: ENOENT/);
  });

  it('the fixtures\' dialect files are valid', async () => {
    for (const name of ['claims', 'grants']) {
      const d = await loadDialectFile(join(import.meta.dirname, '..', 'fixtures', 'foreign', `${name}.dialect.json`));
      expect(d.request?.path).toMatch(/\{templateId\}/);
      expect(d.answers?.length).toBeGreaterThan(2);
    }
  });
});
