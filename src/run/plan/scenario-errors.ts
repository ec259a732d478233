import type { ErrorObject } from 'ajv';
import { didYouMean } from '../../shared/did-you-mean.js';

/** A JSON schema node, as far as these messages read it. */
interface SchemaNode {
  description?: string;
  type?: string;
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, SchemaNode>;
}

const fieldOf = (e: ErrorObject): string => (e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)');
const quote = (v: unknown): string => JSON.stringify(v);

/** One accepted form of a oneOf/anyOf field, in words: its `description`, else its shape. */
function describeBranch(b: SchemaNode): string {
  if (b.description !== undefined) return b.description;
  if (b.properties?.['type']?.const !== undefined) {
    const rest = (b.required ?? []).filter((k) => k !== 'type').map((k) => `"${k}": …`);
    return `{"type": ${quote(b.properties['type'].const)}${rest.map((r) => `, ${r}`).join('')}}`;
  }
  if (b.type === 'object' && b.required) return `an object with ${b.required.map((k) => `"${k}"`).join(', ')}`;
  return b.type !== undefined ? `a ${b.type}` : 'another form';
}

/**
 * Object alternatives told apart by a `type` constant (the user-id generators): the branch the
 * data's `type` names, -1 when it names none (or has none), undefined when these are not such alternatives.
 */
function discriminated(branches: SchemaNode[], data: unknown): number | undefined {
  const tags = branches.map((b) => b.properties?.['type']?.const);
  if (tags.some((t) => t === undefined) || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return tags.indexOf((data as { type?: unknown }).type);
}

/** One line for an error outside any alternative: the field and why, with a near name when one was misspelt. */
function describeOne(e: ErrorObject): string {
  const field = fieldOf(e);
  if (e.keyword === 'additionalProperties') {
    const name = String(e.params['additionalProperty']);
    const known = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
    const where = e.instancePath ? `${field} has an unknown field` : 'unknown field';
    return `${where} "${name}"${didYouMean(name, known)}`;
  }
  if (e.keyword === 'enum') {
    const allowed = e.params['allowedValues'] as unknown[];
    const near = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : '';
    return `${field} must be one of ${allowed.map(quote).join(', ')}${near}`;
  }
  if (e.keyword === 'required') return `${field} is missing the required field "${String(e.params['missingProperty'])}"`;
  if (e.keyword === 'const') return `${field} must be ${quote(e.params['allowedValue'])}`;
  return `${field} ${e.message ?? 'is invalid'}`;
}

/**
 * The schema errors as one readable line per field. A field with several accepted forms (oneOf,
 * anyOf) gets one line listing them ("thinkTime must be a duration such as "500ms" or a number of
 * seconds"), not one complaint per form; alternatives told apart by `type` report the errors of
 * the one the data names. Ajv must run with `verbose` (the lines read the schema and the data).
 */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const alternatives = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  const hidden = new Set<ErrorObject>();
  const lines: string[] = [];
  for (const alt of alternatives) {
    if (hidden.has(alt)) continue;
    const prefix = `${alt.schemaPath}/`;
    const inside = errors.filter((e) => e !== alt && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(alt.instancePath));
    const branches = alt.schema as SchemaNode[];
    const chosen = discriminated(branches, alt.data);
    if (chosen !== undefined && chosen >= 0) {
      // The data says which form it meant: its own errors speak (they are described below).
      for (const e of inside) if (!e.schemaPath.startsWith(`${prefix}${chosen}/`)) hidden.add(e);
      hidden.add(alt);
      continue;
    }
    for (const e of inside) hidden.add(e);
    hidden.add(alt);
    const field = fieldOf(alt);
    if (chosen === -1) {
      const tags = branches.map((b) => String(b.properties?.['type']?.const));
      const given = (alt.data as { type?: unknown }).type;
      const near = typeof given === 'string' ? didYouMean(given, tags) : '';
      lines.push(`${field}.type must be one of ${tags.map(quote).join(', ')}${near}`);
    } else {
      lines.push(`${field} must be ${branches.map(describeBranch).join(' or ')}`);
    }
  }
  for (const e of errors) {
    if (hidden.has(e) || e.keyword === 'if' || e.keyword === 'allOf') continue;
    lines.push(describeOne(e));
  }
  return [...new Set(lines)];
}

/**
 * `file:line:col: not valid JSON: why` for a JSON.parse error of `text` (Node names the offset
 * as "at position N"; an unexpected end is at the end of the text).
 */
export function jsonErrorWhere(text: string, err: Error): { line: number; column: number; why: string } {
  const m = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(err.message);
  const offset = m ? Number(m[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  const why = (m ? err.message.replace(m[0], '') : err.message).trim();
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1, why };
}
