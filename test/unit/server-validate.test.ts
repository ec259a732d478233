import { describe, expect, it } from 'vitest';
import { isJson } from '../../src/server/content-type.js';
import { parseTemplateBody } from '../../src/server/admin-routes.js';
import { parseIdSegment, parseIssueBody } from '../../src/server/validate-issue.js';
import { parseStrictObject } from '../../src/server/strict-json.js';

describe('parseIssueBody', () => {
  it.each([
    ['{"userId":1,"templateId":2}', 1, 2],
    ['{"templateId":2,"userId":1}', 1, 2],
    [' { "userId" : 9007199254740991 ,\n\t"templateId" : 7 } \r\n', 9007199254740991, 7],
  ])('accepts %s', (body, userId, templateId) => {
    expect(parseIssueBody(body)).toEqual({ userId, templateId });
  });

  it.each([
    ['', 'not valid JSON'],
    ['{', 'not valid JSON'],
    ['[]', 'JSON object'],
    ['null', 'JSON object'],
    ['{"userId":1}', 'missing field "templateId"'],
    ['{"templateId":1}', 'missing field "userId"'],
    ['{"userId":1,"templateId":1,"x":1}', 'unknown field "x"'],
    ['{"userId":"1","templateId":1}', '"userId" must be a positive safe integer'],
    ['{"userId":1.5,"templateId":1}', '"userId" must be a positive safe integer'],
    ['{"userId":1,"templateId":-3}', '"templateId" must be a positive safe integer'],
    ['{"userId":0,"templateId":1}', '"userId" must be a positive safe integer'],
    ['{"userId":9007199254740993,"templateId":1}', '"userId" must be a positive safe integer'],
    ['{"userId":1.0,"templateId":1}', 'plain positive integers'],
    ['{"userId":1e3,"templateId":1}', 'plain positive integers'],
    ['{"userId":1,"userId":1,"templateId":1}', 'duplicate field "userId"'],
    ['{"userId":1,"templateId":1} 1', 'not valid JSON'],
    ['{"userId":', 'not valid JSON'],
    ['{"userId":1,"templateId":', 'not valid JSON'],
  ])('rejects %s', (body, message) => {
    const r = parseIssueBody(body);
    expect(typeof r).toBe('string');
    expect(r).toContain(message);
  });
});

describe('parseIdSegment', () => {
  it('takes positive safe integers only', () => {
    expect(parseIdSegment('42')).toBe(42);
    expect(parseIdSegment('9007199254740991')).toBe(9007199254740991);
    for (const bad of ['', '0', '01', '-1', '1.5', 'abc', '1a', '9007199254740992', '12345678901234567']) {
      expect(parseIdSegment(bad)).toBeUndefined();
    }
  });
});

describe('isJson', () => {
  it('accepts application/json with any case and parameters, nothing else', () => {
    for (const ok of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
      expect(isJson(ok)).toBe(true);
    }
    for (const bad of [undefined, '', 'text/plain', 'application/jsonx', 'application/json-seq', 'application/problem+json']) {
      expect(isJson(bad)).toBe(false);
    }
  });
});

describe('parseTemplateBody', () => {
  it('takes a stock >= 0 and an optional name', () => {
    expect(parseTemplateBody('{"stock":0}')).toEqual({ stock: 0 });
    expect(parseTemplateBody('{"stock":5,"name":"spring"}')).toEqual({ stock: 5, name: 'spring' });
    for (const bad of ['{}', '{"stock":-1}', '{"stock":1.5}', '{"stock":"5"}', '{"stock":5,"x":1}', '{"stock":5,"name":""}', '[]', 'x']) {
      expect(typeof parseTemplateBody(bad)).toBe('string');
    }
  });

  it.each([
    ['{"stock":1e3}', '"stock" must be written as a plain integer'],
    ['{"stock":5.0}', '"stock" must be written as a plain integer'],
    ['{"stock":5,"stock":7}', 'duplicate field "stock"'],
    ['{"stock":5,"name":"a","name":"b"}', 'duplicate field "name"'],
    ['{"st\\u006fck":5,"stock":5}', 'duplicate field "stock"'],
    ['{"stock":5} x', 'not valid JSON'],
  ])('rejects %s as the issue body would (one strict reader)', (body, message) => {
    expect(parseTemplateBody(body)).toContain(message);
  });

  it('keeps the members it reads whatever their spacing, escapes and nested neighbours', () => {
    expect(parseTemplateBody(' {\n "name" : "a,\\"}b" , "stock" : 0 } ')).toEqual({ stock: 0, name: 'a,"}b' });
    expect(parseTemplateBody('{"stock":3,"name":{"x":[1,{"stock":2}]}}')).toBe('"name" must be a string of 1..200 characters');
    expect(parseStrictObject('{"a":[1,2],"b":-0,"c":-12,"d":1E2,"e":"1.5"}')).toMatchObject({ notPlainIntegers: new Set(['d']) });
  });
});
