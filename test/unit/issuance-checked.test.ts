import { describe, expect, it } from 'vitest';
import { noIssuanceReason } from '../../src/model/issuance-checked.js';
import type { Outcome } from '../../src/model/outcome.js';

const counts = (o: Partial<Record<Outcome, number>>): Record<Outcome, number> => ({ issued: 0, sold_out: 0, duplicate: 0, not_found: 0, rejected: 0, unknown: 0, ...o });

describe('noIssuanceReason: a run none of whose answers came from issuance checked nothing', () => {
  it('every answer 404 (template never created): the reason asks about --setup', () => {
    expect(noIssuanceReason(counts({ not_found: 1000 }))).toBe(
      'zero requests checked: every answer was not_found (404 COUPON_TEMPLATE_NOT_FOUND): was the template created (--setup)?',
    );
    expect(noIssuanceReason(counts({ not_found: 990, unknown: 10 }))).toMatch(/every answer was not_found \(404 COUPON_TEMPLATE_NOT_FOUND\) \(the other 10 unknown\)/);
  });

  it('rejections and server errors only: names what came back', () => {
    expect(noIssuanceReason(counts({ rejected: 7, not_found: 3 }))).toMatch(/^zero requests checked: no answer came from issuance \(3 not_found, 7 rejected\)/);
    expect(noIssuanceReason(counts({ unknown: 1200 }))).toMatch(/no answer came from issuance \(1,200 unknown\)/);
  });

  it('one issued, sold-out or duplicate answer is enough: the checks ran', () => {
    for (const o of ['issued', 'sold_out', 'duplicate'] as const) expect(noIssuanceReason(counts({ [o]: 1, not_found: 999 }))).toBeUndefined();
    expect(noIssuanceReason(counts({}))).toBeUndefined();
  });
});
