import { CouponBenchError, HarnessInvalidError } from '../../errors.js';
import { templateNotFreshError } from './fresh-templates.js';
import type { ScenarioTemplate } from '../../model/scenario.js';

/**
 * Create the scenario's templates through the target's admin API (`--setup`, and `--serve` for its
 * own server), each one fresh: one that already has coupons (issued in Redis, or rows in the
 * database) is refused, see {@link templateNotFreshError}.
 */
export async function setupTemplates(
  origin: string,
  templates: readonly ScenarioTemplate[],
  opts: { adminToken?: string | undefined; flag: '--setup' | '--serve' },
): Promise<void> {
  const { createTemplate, readTemplate } = await import('../../server/admin-client.js');
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
    if (inRedis > 0 || inDb > 0) throw templateNotFreshError(opts.flag, t.id, `at ${origin}`, inRedis, inDb);
  }
}
