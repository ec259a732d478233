import { UsageError } from '../errors.js';
import type { DialectRequest } from './types.js';

/** Slots filled per request: 0 userId, 1 templateId, 2 requestId. */
const SLOT = { userId: 0, templateId: 1, requestId: 2 } as const;
type SlotName = keyof typeof SLOT;
/** A compiled string: literal text and slot numbers, in order. */
type Segments = Array<string | number>;

/** Marks a slot inside the JSON text of a body (a private-use character JSON.stringify leaves alone). */
const MARK = '\uE000';
const PLACEHOLDER = /\{([A-Za-z_][\w.]*)\}/g;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** An environment to resolve `{env.NAME}` from (default process.env). */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/** UTF-8 bytes as a latin1 string: the lean client writes requests as latin1, one char per byte. */
const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/**
 * Split `text` at its placeholders: `{env.NAME}` is resolved now (a missing variable is a usage
 * error), the per-request ones become slots. `where` names the field in errors.
 */
function segment(text: string, where: string, env: EnvMap, encode: (s: string) => string): Segments {
  const out: Segments = [];
  let last = 0;
  let lit = '';
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    lit += text.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    if (name.startsWith('env.')) {
      const v = env[name.slice(4)];
      if (v === undefined) throw new UsageError(`${where}: {${name}} names the environment variable ${name.slice(4)}, which is not set`, 'E_DIALECT_ENV');
      lit += encode(v);
    } else if (name in SLOT) {
      out.push(lit, SLOT[name as SlotName]);
      lit = '';
    } else {
      throw new UsageError(`${where}: unknown placeholder {${name}} (known: {userId}, {templateId}, {requestId}, {env.NAME})`, 'E_DIALECT_INVALID');
    }
  }
  lit += text.slice(last);
  out.push(lit);
  return merge(out);
}

/** Join adjacent literals, drop empty ones. */
function merge(segs: Segments): Segments {
  const out: Segments = [];
  for (const s of segs) {
    if (s === '') continue;
    const prev = out[out.length - 1];
    if (typeof s === 'string' && typeof prev === 'string') out[out.length - 1] = prev + s;
    else out.push(s);
  }
  return out;
}

/** JSON body: placeholders become slots; a string that is exactly one numeric placeholder becomes a number. */
function jsonSegments(body: unknown, env: EnvMap): Segments {
  const slotted = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      const whole = /^\{(userId|templateId|requestId)\}$/.exec(value);
      if (whole) return `${MARK}N${SLOT[whole[1] as SlotName]}`;
      // Env values are resolved into the string now (JSON-escaped by stringify below); slots are digits.
      return segment(value, where, env, (v) => v)
        .map((s) => (typeof s === 'number' ? `${MARK}S${s}` : s))
        .join('');
    }
    if (Array.isArray(value)) return value.map((v, i) => slotted(v, `${where}[${i}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, slotted(v, `${where}.${k}`)]));
    }
    return value;
  };
  const text = JSON.stringify(slotted(body, 'request.body'));
  const out: Segments = [];
  const re = new RegExp(`"${MARK}N(\\d)"|${MARK}S(\\d)`, 'g');
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push(bytes(text.slice(last, m.index)), Number(m[1] ?? m[2]));
    last = (m.index ?? 0) + m[0].length;
  }
  out.push(bytes(text.slice(last)));
  return merge(out);
}

/** Fill a compiled string (per request: a few concatenations, no parsing). */
function fill(segs: Segments, v: readonly [number, number, number]): string {
  let s = '';
  for (const x of segs) s += typeof x === 'string' ? x : (v[x] as number);
  return s;
}

/** A request compiled once per run; each call fills in the ids of one request. */
export interface CompiledRequest {
  method: string;
  /** whether any part uses {requestId} (then no two requests are the same: nothing to cache) */
  perRequest: boolean;
  /** the whole HTTP/1.1 request as a latin1 string (lean client) */
  wire(templateId: number, userId: number, requestId: number): string;
  /** path, headers and body separately (undici) */
  parts(templateId: number, userId: number, requestId: number): { path: string; headers: string[]; body: Buffer };
}

/**
 * Compile a dialect's request for `host` (the Host header). Everything that does not change per
 * request (env values, header names, the JSON text around the ids) is done here, once.
 */
export function compileRequest(req: DialectRequest, host: string, env: EnvMap = process.env): CompiledRequest {
  const method = (req.method ?? 'POST').toUpperCase();
  const path = segment(req.path, 'request.path', env, (v) => encodeURIComponent(v));
  const headerSegs: Segments = [];
  let hasContentType = false;
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new UsageError(`request.headers: "${name}" is not a valid header name`, 'E_DIALECT_INVALID');
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding') {
      throw new UsageError(`request.headers.${name}: set by coupon-bench itself`, 'E_DIALECT_INVALID');
    }
    if (lower === 'content-type') hasContentType = true;
    const segs = segment(value, `request.headers.${name}`, env, bytes);
    if (segs.some((s) => typeof s === 'string' && /[\r\n]/.test(s))) throw new UsageError(`request.headers.${name}: a header value cannot hold a line break`, 'E_DIALECT_INVALID');
    headerSegs.push(`${lower}: `, ...segs, '\r\n');
  }
  let body: Segments = [];
  if (req.body !== undefined) {
    const isText = typeof req.body === 'string';
    body = isText ? segment(req.body as string, 'request.body', env, bytes) : jsonSegments(req.body, env);
    if (!hasContentType) headerSegs.push(`content-type: ${isText ? (req.contentType ?? 'application/x-www-form-urlencoded') : 'application/json'}\r\n`);
  }
  const headers = merge(headerSegs);
  const head = merge([`${method} `, ...path, ` HTTP/1.1\r\nhost: ${host}\r\n`, ...headers, 'content-length: ']);
  const all = [...path, ...headers, ...body];
  const perRequest = all.includes(SLOT.requestId);
  const v: [number, number, number] = [0, 0, 0];
  const headerPairs = headers.length > 0 ? splitHeaderPairs(headers) : [];
  return {
    method,
    perRequest,
    wire(templateId, userId, requestId) {
      v[0] = userId;
      v[1] = templateId;
      v[2] = requestId;
      const b = body.length === 0 ? '' : fill(body, v);
      return `${fill(head, v)}${b.length}\r\n\r\n${b}`;
    },
    parts(templateId, userId, requestId) {
      v[0] = userId;
      v[1] = templateId;
      v[2] = requestId;
      const hs: string[] = [];
      for (const [n, segs] of headerPairs) hs.push(n, Buffer.from(fill(segs, v), 'latin1').toString('utf8'));
      return { path: fill(path, v), headers: hs, body: Buffer.from(fill(body, v), 'latin1') };
    },
  };
}

/** The compiled header block as (name, value segments) pairs, for undici. */
function splitHeaderPairs(headers: Segments): Array<[string, Segments]> {
  const text = headers.map((s) => (typeof s === 'number' ? `${MARK}${s}` : s)).join('');
  return text
    .split('\r\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(': ');
      const value = line.slice(at + 2);
      const segs: Segments = [];
      let last = 0;
      for (const m of value.matchAll(new RegExp(`${MARK}(\\d)`, 'g'))) {
        segs.push(value.slice(last, m.index), Number(m[1]));
        last = (m.index ?? 0) + m[0].length;
      }
      segs.push(value.slice(last));
      return [line.slice(0, at), merge(segs)];
    });
}
