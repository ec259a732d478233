import type { Outcome } from './outcome.js';

/** One classified response, as the engine hands it to listeners of `response` events. */
export interface ResponseSample {
  outcome: Outcome;
  status: number;
  templateId: number;
  userId: number;
  /** ms (performance.now) */
  intended: number;
  sent: number;
  end: number;
  couponId?: string;
  seq?: number;
  err?: string;
}
