import { UsageError } from '../errors.js';

/** Placeholder syntax of each engine. */
export type PlaceholderStyle = 'question' | 'dollar';

/**
 * Rewrite the template placeholder of a `--db-query` into the engine's own: the query may use
 * `:template`, `$1` or `?` (outside quoted strings); each becomes `?` (SQLite/MySQL) or `$1`
 * (PostgreSQL). Returns the SQL and the parameter list (the template id, once per `?`).
 */
export function bindTemplateQuery(sql: string, templateId: number, style: PlaceholderStyle): { sql: string; params: number[] } {
  let out = '';
  let n = 0;
  let i = 0;
  const emit = (): void => {
    out += style === 'dollar' ? '$1' : '?';
    n++;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      // Copy a quoted string or identifier verbatim (doubled quote = escaped quote).
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '?') {
      emit();
      i++;
      continue;
    }
    if (ch === '$' && sql[i + 1] === '1' && !/[0-9]/.test(sql[i + 2] ?? '')) {
      emit();
      i += 2;
      continue;
    }
    if (ch === ':' && sql.startsWith(':template', i) && !/[A-Za-z0-9_]/.test(sql[i + 9] ?? '') && sql[i - 1] !== ':') {
      emit();
      i += 9;
      continue;
    }
    out += ch;
    i++;
  }
  if (n === 0) throw new UsageError('--db-query: the query needs a template placeholder (:template, $1 or ?)', 'E_DB_QUERY');
  return { sql: out, params: style === 'dollar' ? [templateId] : Array.from({ length: n }, () => templateId) };
}
