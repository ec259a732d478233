/**
 * Pull one top-level field out of a small JSON body without a full parse: the hot path only needs
 * `code`, `couponId` and `seq`. Falls back to undefined when the field is absent or not simple.
 */
export function jsonStringField(body: string, key: string): string | undefined {
  const at = findValue(body, key);
  if (at < 0 || body.charCodeAt(at) !== 34 /* " */) return undefined;
  const end = body.indexOf('"', at + 1);
  if (end < 0) return undefined;
  const s = body.slice(at + 1, end);
  return s.includes('\\') ? undefined : s;
}

function findValue(body: string, key: string): number {
  const idx = body.indexOf(`"${key}"`);
  if (idx < 0) return -1;
  let i = idx + key.length + 2;
  while (i < body.length && body.charCodeAt(i) <= 32) i++;
  if (body.charCodeAt(i) !== 58 /* : */) return -1;
  i++;
  while (i < body.length && body.charCodeAt(i) <= 32) i++;
  return i;
}

const KEY_CACHE = new Map<string, Buffer>();

/** Index of the first byte of `"key"`'s value in a JSON body held as bytes, or -1. */
function findValueInBuffer(body: Buffer, key: string): number {
  let needle = KEY_CACHE.get(key);
  if (!needle) {
    needle = Buffer.from(`"${key}"`, 'latin1');
    KEY_CACHE.set(key, needle);
  }
  const idx = body.indexOf(needle);
  if (idx < 0) return -1;
  let i = idx + needle.length;
  while (i < body.length && (body[i] as number) <= 32) i++;
  if (body[i] !== 58 /* : */) return -1;
  i++;
  while (i < body.length && (body[i] as number) <= 32) i++;
  return i;
}

/**
 * {@link jsonStringField} on the raw bytes: searches natively and decodes only the value, so a
 * response whose class is all that matters never becomes a JS string.
 */
export function bufferStringField(body: Buffer, key: string): string | undefined {
  // Fast path: the field comes first, written compactly (`{"code":"…`, as coupon-bench serve does),
  // its value plain ASCII.
  if (body[0] === 123 && body[1] === 34 && body[key.length + 2] === 34 && body[key.length + 3] === 58 && body[key.length + 4] === 34) {
    let same = true;
    for (let k = 0; k < key.length; k++) if (body[k + 2] !== key.charCodeAt(k)) same = false;
    if (same) {
      const from = key.length + 5;
      let end = from;
      while (end < body.length && body[end] !== 34 && body[end] !== 92 && body[end]! < 128) end++;
      if (body[end] === 34) return body.toString('latin1', from, end);
    }
  }
  const at = findValueInBuffer(body, key);
  if (at < 0 || body[at] !== 34 /* " */) return undefined;
  const end = body.indexOf(34, at + 1);
  if (end < 0) return undefined;
  const esc = body.indexOf(92 /* \ */, at + 1);
  if (esc !== -1 && esc < end) return undefined;
  return body.toString('utf8', at + 1, end);
}

/** Numeric companion of {@link bufferStringField}. */
export function bufferNumberField(body: Buffer, key: string): number | undefined {
  const at = findValueInBuffer(body, key);
  if (at < 0) return undefined;
  let end = at;
  while (end < body.length) {
    const c = body[end] as number;
    if ((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 101 || c === 69 || c === 43) end++;
    else break;
  }
  if (end === at) return undefined;
  const n = Number(body.toString('latin1', at, end));
  return Number.isFinite(n) ? n : undefined;
}
