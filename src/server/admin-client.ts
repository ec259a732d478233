import { CouponBenchError } from '../errors.js';

/**
 * Create a template through a running server's admin API (PUT /api/admin/templates/:id).
 * Resolves when it was created or an identical one exists; throws on conflict or any other error.
 */
export async function createTemplate(
  baseUrl: string,
  templateId: number,
  stock: number,
  opts: { name?: string; adminToken?: string } = {},
): Promise<void> {
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
  if (res.status === 200 || res.status === 201) return;
  let detail = text;
  try {
    const j = JSON.parse(text) as { code?: string; message?: string };
    detail = `${j.code ?? ''}: ${j.message ?? ''}`;
  } catch {
    // not JSON: show it as is
  }
  throw new CouponBenchError('E_ADMIN_TEMPLATE', `creating template ${templateId} (stock ${stock}) failed with HTTP ${res.status} ${detail.slice(0, 300)}`);
}
