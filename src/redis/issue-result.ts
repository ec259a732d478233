import { CouponBenchError } from '../errors.js';
import type { IssueReply } from './scripts.js';

/** Result codes of `issue-4.lua`. */
export const IssueCode = { Issued: 1, AlreadyIssued: 2, OutOfStock: 3, TemplateNotFound: 4 } as const;

/** The issue script's reply, typed by outcome. */
export type IssueResult =
  | { kind: 'issued'; seq: number; issuedAtMs: number }
  | { kind: 'already_issued'; seq: number }
  | { kind: 'out_of_stock'; issued: number }
  | { kind: 'template_not_found' };

/** Turn the script's integer reply into a typed result; an unknown code is a bug, never a guess. */
export function parseIssueReply(reply: IssueReply): IssueResult {
  const [code, seq, ms] = reply;
  switch (code) {
    case IssueCode.Issued:
      return { kind: 'issued', seq, issuedAtMs: ms };
    case IssueCode.AlreadyIssued:
      return { kind: 'already_issued', seq };
    case IssueCode.OutOfStock:
      return { kind: 'out_of_stock', issued: seq };
    case IssueCode.TemplateNotFound:
      return { kind: 'template_not_found' };
    default:
      throw new CouponBenchError('E_SCRIPT_REPLY', `issue script returned unknown code ${String(code)}`);
  }
}
