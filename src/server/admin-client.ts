import { CouponBenchError } from '../errors.js';

/** What the admin API said about a template it created or found. */
export interface CreatedTemplate {
  /** false when an identical template already existed */
  created: boolean;
  /** coupons issued so far (Redis), when the server says */
  issued: number | undefined;
}

/** A template's figures from GET /api/templates/:id. */
export interface TemplateFigures {
  /** coupons issued (Redis) */
  issued: number | undefined;
  /** coupons in the database */
  persisted: number | undefined;
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);

/**
 * Create a template through a running server's admin API (PUT /api/admin/templates/:id).
 * Resolves when it was created or an identical one exists; throws on conflict or any other error.
 */
export async function createTemplate(
  baseUrl: string,
  templateId: number,
  stock: number,
  opts: { name?: string; adminToken?: string } = {},
): Promise<CreatedTemplate> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.adminToken !== undefined) headers.authorization = `Bearer ${opts.adminToken}`;
  const body = JSON.stringify(opts.name === undefined ? { stock } : { stock, name: opts.name });
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/$/, '')}/api/admin/templates/${templateId}`, { method: 'PUT', headers, body });
  } catch (err) {
    throw new CouponBenchError('E_ADMIN_UNREACHABLE', `cannot reach ${baseUrl} to create template ${templateId}`, 1, { cause: err });
  }
  const text = await res.text();
  if (res.status === 200 || res.status === 201) {
    let issued: number | undefined;
    try {
      issued = count((JSON.parse(text) as { issued?: unknown }).issued);
    } catch {
      // another admin API may answer without a body: nothing more is known
    }
    return { created: res.status === 201, issued };
  }
  let detail = text;
  try {
    const j = JSON.parse(text) as { code?: string; message?: string };
    detail = `${j.code ?? ''}: ${j.message ?? ''}`;
  } catch {
    // not JSON: show it as is
  }
  throw new CouponBenchError('E_ADMIN_TEMPLATE', `creating template ${templateId} (stock ${stock}) failed with HTTP ${res.status} ${detail.slice(0, 300)}`);
}

/**
 * A template's issued and persisted counts from a running server (GET /api/templates/:id);
 * undefined when the server does not answer them (not found, unavailable, another API).
 */
export async function readTemplate(baseUrl: string, templateId: number): Promise<TemplateFigures | undefined> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}/api/templates/${templateId}`);
    const text = await res.text();
    if (res.status !== 200) return undefined;
    const j = JSON.parse(text) as { issued?: unknown; persisted?: unknown };
    return { issued: count(j.issued), persisted: count(j.persisted) };
  } catch {
    return undefined;
  }
}
