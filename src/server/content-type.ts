/** application/json, any case, optionally followed by parameters (charset=utf-8). */
export function isJson(ct: string | undefined): boolean {
  if (ct === undefined || ct.length < 16) return false;
  if (ct.length === 16 || ct.charCodeAt(16) === 59 /* ; */ || ct.charCodeAt(16) === 32) {
    const t = ct.slice(0, 16);
    return t === 'application/json' || t.toLowerCase() === 'application/json';
  }
  return false;
}
