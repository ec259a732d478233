import { parseStrictObject } from './strict-json.js';

/** A validated issue request. */
export interface IssueRequest {
  userId: number;
  templateId: number;
}

const MAX_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits

/**
 * Strict parser for the issue body: exactly `{"userId": <int>, "templateId": <int>}` in either
 * order, ids positive safe integers written as plain digits (no sign, fraction, exponent or
 * leading zero), whitespace allowed, nothing else. Returns the request, or an error message.
 * Hand-written because it is the hot path and JSON.parse + checks would still accept `1.0`/`1e2`.
 */
export function parseIssueBody(text: string): IssueRequest | string {
  const n = text.length;
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 123 /* { */) return describeInvalid(text);
  let userId = 0;
  let templateId = 0;
  for (let field = 0; field < 2; field++) {
    i = skipWs(text, i + 1);
    let which: 1 | 2;
    if (text.startsWith('"userId"', i)) {
      which = 1;
      i += 8;
    } else if (text.startsWith('"templateId"', i)) {
      which = 2;
      i += 12;
    } else {
      return describeInvalid(text);
    }
    i = skipWs(text, i);
    if (text.charCodeAt(i) !== 58 /* : */) return describeInvalid(text);
    i = skipWs(text, i + 1);
    const start = i;
    let c = text.charCodeAt(i);
    if (!(c >= 49 && c <= 57)) return describeInvalid(text); // NaN-safe; first digit 1-9: no 0, sign or leading zero
    let v = 0;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      i++;
    }
    if (i - start > MAX_DIGITS || !Number.isSafeInteger(v)) return describeInvalid(text);
    if (which === 1) {
      if (userId !== 0) return 'duplicate field "userId"';
      userId = v;
    } else {
      if (templateId !== 0) return 'duplicate field "templateId"';
      templateId = v;
    }
    i = skipWs(text, i);
    c = text.charCodeAt(i);
    if (field === 0 ? c !== 44 /* , */ : c !== 125 /* } */) return describeInvalid(text);
  }
  if (skipWs(text, i + 1) !== n) return describeInvalid(text);
  if (userId === 0 || templateId === 0) return describeInvalid(text);
  return { userId, templateId };
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

const FIELDS = ['userId', 'templateId'] as const;

/** Slow path, only for rejected bodies: say precisely what is wrong (the admin body's rules too). */
function describeInvalid(text: string): string {
  const parsed = parseStrictObject(text);
  if (typeof parsed === 'string') return parsed;
  const obj = parsed.value;
  for (const key of Object.keys(obj)) {
    if (key !== 'userId' && key !== 'templateId') return `unknown field "${key}"`;
  }
  for (const f of FIELDS) {
    if (!(f in obj)) return `missing field "${f}"`;
    const v = obj[f];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return `"${f}" must be a positive safe integer`;
  }
  // Parsed fine and looks right to JSON.parse, yet not plain digits: 1.0, 1e2, escaped keys, ...
  return `"userId" and "templateId" must be written as plain positive integers`;
}

/** Parse a path segment as a positive safe integer id; undefined otherwise. */
export function parseIdSegment(s: string): number | undefined {
  if (s.length === 0 || s.length > MAX_DIGITS) return undefined;
  const c0 = s.charCodeAt(0);
  if (!(c0 >= 49 && c0 <= 57)) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return Number.isSafeInteger(v) ? v : undefined;
}
