import { CouponBenchError, HarnessInvalidError } from '../errors.js';
import type { ScenarioTemplate } from './scenario.js';

/**
 * Create the scenario's templates through the target's admin API (`--setup`, and `--serve` for its
 * own server), each one fresh. A template that already has coupons (issued in Redis, or rows in
 * the database) would have an earlier run's coupons audited as this run's: no-phantom,
 * no-lied-refusal and unknown-bounded would fail a correct server. That is a harness that cannot
 * give a valid verdict (exit 97), not a finding about the target.
 */
export async function setupTemplates(
  origin: string,
  templates: readonly ScenarioTemplate[],
  opts: { adminToken?: string | undefined; flag: '--setup' | '--serve' },
): Promise<void> {
  const { createTemplate, readTemplate } = await import('../server/admin-client.js');
  for (const t of templates) {
    let issued: number | undefined;
    try {
      ({ issued } = await createTemplate(origin, t.id, t.stock, {
        ...(t.name !== undefined ? { name: t.name } : {}),
        ...(opts.adminToken !== undefined ? { adminToken: opts.adminToken } : {}),
      }));
    } catch (err) {
      // An unreachable target is a harness problem (97), not a usage error.
      if (err instanceof CouponBenchError && err.code === 'E_ADMIN_UNREACHABLE') {
        throw new HarnessInvalidError(`target unreachable: ${err.message}`, 'E_TARGET_UNREACHABLE');
      }
      throw err;
    }
    const figures = await readTemplate(origin, t.id);
    const inRedis = Math.max(issued ?? 0, figures?.issued ?? 0);
    const inDb = figures?.persisted ?? 0;
    if (inRedis > 0 || inDb > 0) {
      throw new HarnessInvalidError(
        `${opts.flag}: template ${t.id} at ${origin} already has coupons (${inRedis} issued in Redis, ${inDb} in the database), ` +
          "which this run's audit would count as its own; start from fresh stores: another --prefix and a fresh database " +
          '(or schema), or other template ids in the scenario',
        'E_TEMPLATE_NOT_FRESH',
      );
    }
  }
}
