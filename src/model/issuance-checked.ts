import { ApiCode, type Outcome } from './outcome.js';

/**
 * Why a run with these outcome counts checked nothing although it got answers, or undefined when
 * some answer came from issuance itself (`issued`, `sold_out`, `duplicate`: the stock and duplicate
 * checks ran). A 404 for a template that does not exist, a rejected request (wrong body, route or
 * content type) or a 5xx never reach those checks, so a run made only of them proves nothing
 * (contract: "a run that checked nothing never passes"), whatever its status checks say.
 */
export function noIssuanceReason(o: Readonly<Record<Outcome, number>>): string | undefined {
  if (o.issued + o.sold_out + o.duplicate > 0) return undefined;
  if (o.not_found + o.rejected + o.unknown === 0) return undefined;
  if (o.not_found > 0 && o.rejected === 0) {
    const rest = o.unknown > 0 ? ` (the other ${o.unknown.toLocaleString('en-US')} unknown)` : '';
    return `zero requests checked: every answer was not_found (404 ${ApiCode.TemplateNotFound})${rest}: was the template created (--setup)?`;
  }
  const parts = [
    o.not_found ? `${o.not_found.toLocaleString('en-US')} not_found` : '',
    o.rejected ? `${o.rejected.toLocaleString('en-US')} rejected` : '',
    o.unknown ? `${o.unknown.toLocaleString('en-US')} unknown` : '',
  ].filter(Boolean);
  return `zero requests checked: no answer came from issuance (${parts.join(', ')}): is the target a coupon service serving these templates (path, body, --setup)?`;
}
