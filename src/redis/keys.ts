/**
 * Redis key layout. Every key of one template shares the hash tag `{t<id>}`, so one script
 * touches one slot and works on Redis Cluster.
 */
export interface TemplateKeys {
  /** string: the template's limit N */
  readonly stock: string;
  /** string: coupons issued so far */
  readonly seq: string;
  /** hash: userId -> seq */
  readonly users: string;
  /** stream: one entry per issued coupon */
  readonly outbox: string;
}

/** Key prefix when none is given. */
export const DEFAULT_PREFIX = 'cb';
/** Consumer group the persister reads outboxes with. */
export const PERSISTER_GROUP = 'persister';

/** Keys of one template, in the order the Lua scripts take them as KEYS. */
export function templateKeys(prefix: string, templateId: number): TemplateKeys {
  const base = `${prefix}:{t${templateId}}:`;
  return { stock: `${base}stock`, seq: `${base}seq`, users: `${base}users`, outbox: `${base}outbox` };
}

/** Set of template ids known to this prefix (admin path only; never touched by the issue script). */
export function templatesIndexKey(prefix: string): string {
  return `${prefix}:templates`;
}

/** Dead-letter stream for one template's outbox entries that failed too often. */
export function deadLetterKey(prefix: string, templateId: number): string {
  return `${prefix}:{t${templateId}}:dead`;
}

/** Valid prefixes: short, printable, no braces (they would break the hash tag). */
export function isValidPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9:_.-]{1,64}$/.test(prefix);
}
