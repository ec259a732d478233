/**
 * RFC 6901 JSON Pointers: `"/data/claimId"` reads `doc.data.claimId`; `~1` is `/` and `~0` is `~`
 * inside a token; `""` is the whole document. Used by a dialect's `answers` to read foreign bodies.
 */
export type JsonPointer = readonly string[];

/** Split a pointer into its unescaped tokens; throws on a pointer that does not start with `/`. */
export function parsePointer(pointer: string): JsonPointer {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON Pointer (it must start with "/", e.g. "/data/claimId")`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value at `pointer` in `doc`, or undefined when any step is missing. */
export function readPointer(doc: unknown, pointer: JsonPointer): unknown {
  let cur: unknown = doc;
  for (const token of pointer) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, token)) return undefined;
      cur = (cur as Record<string, unknown>)[token];
    }
  }
  return cur;
}
