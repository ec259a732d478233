/** A JSON object read strictly: its members, and the ones whose number was not written as a plain integer. */
export interface StrictObject {
  readonly value: Record<string, unknown>;
  /** members whose value is a number written with a fraction or an exponent (`1.0`, `1e3`) */
  readonly notPlainIntegers: ReadonlySet<string>;
}

const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The request bodies' one JSON reader: a JSON object whose member names are all different (JSON.parse
 * would keep the last of two), with the members whose number is not written as a plain integer
 * marked, so a caller that wants an integer refuses `1e3` and `1.0` as the issue route does.
 * Returns the object, or an error message.
 */
export function parseStrictObject(text: string): StrictObject | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'body is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'body must be a JSON object';
  // The text is valid JSON with an object at its top: walk its top-level members only.
  const seen = new Set<string>();
  const notPlainIntegers = new Set<string>();
  let i = skipWs(text, text.indexOf('{') + 1);
  while (text.charCodeAt(i) === 34 /* " */) {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    if (seen.has(key)) return `duplicate field "${key}"`;
    seen.add(key);
    i = skipWs(text, skipWs(text, keyEnd) + 1); // past ':'
    const end = valueEnd(text, i);
    const c = text.charCodeAt(i);
    if ((c === 45 || (c >= 48 && c <= 57)) && !PLAIN_INTEGER.test(text.slice(i, end))) notPlainIntegers.add(key);
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 44 /* , */) i = skipWs(text, i + 1);
  }
  return { value: value as Record<string, unknown>, notPlainIntegers };
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** Index just past the JSON string starting at `i` (a `"`). */
function stringEnd(text: string, i: number): number {
  for (let k = i + 1; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 92 /* \ */) k++;
    else if (c === 34) return k + 1;
  }
  return text.length;
}

/** Index just past the JSON value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34) return stringEnd(text, i);
  if (c === 123 /* { */ || c === 91 /* [ */) {
    let depth = 0;
    for (let k = i; k < text.length; k++) {
      const d = text.charCodeAt(k);
      if (d === 34) k = stringEnd(text, k) - 1;
      else if (d === 123 || d === 91) depth++;
      else if ((d === 125 || d === 93) && --depth === 0) return k + 1;
    }
    return text.length;
  }
  let k = i;
  while (k < text.length) {
    const d = text.charCodeAt(k);
    if (d === 44 || d === 125 || d === 32 || d === 10 || d === 13 || d === 9) break;
    k++;
  }
  return k;
}
