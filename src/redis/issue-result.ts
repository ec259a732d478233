import { CouponBenchError } from '../errors.js';
import type { IssueReply } from './scripts.js';

/** The issue script's reply, typed by outcome. */
export type IssueResult =
  | { kind: 'issued'; seq: number; issuedAtMs: number }
  | { kind: 'already_issued'; seq: number }
  | { kind: 'out_of_stock'; issued: number }
  | { kind: 'template_not_found' };

/** What a result code of the script means. */
export type IssueOutcome = IssueResult['kind'];

/** The one table of the result codes of `lua/issue-4.lua` (index = code: 1 issued .. 4 template not found). */
const OUTCOME_OF_CODE: readonly (IssueOutcome | undefined)[] = [undefined, 'issued', 'already_issued', 'out_of_stock', 'template_not_found'];

/**
 * The outcome a result code stands for; undefined for a code the script never returns. Allocates
 * nothing: the server's issue path maps every reply through it.
 */
export function issueOutcome(code: number): IssueOutcome | undefined {
  return OUTCOME_OF_CODE[code];
}

/** Turn the script's integer reply into a typed result; an unknown code is a bug, never a guess. */
export function parseIssueReply(reply: IssueReply): IssueResult {
  const [code, seq, ms] = reply;
  switch (issueOutcome(code)) {
    case 'issued':
      return { kind: 'issued', seq, issuedAtMs: ms };
    case 'already_issued':
      return { kind: 'already_issued', seq };
    case 'out_of_stock':
      return { kind: 'out_of_stock', issued: seq };
    case 'template_not_found':
      return { kind: 'template_not_found' };
    default:
      throw new CouponBenchError('E_SCRIPT_REPLY', `issue script returned unknown code ${String(code)}`);
  }
}
