import type { TemplateKeys } from '../redis/keys.js';

/** What a caller attaches to each issue command (its template's keys group it into a script call). */
export interface IssueContext {
  issueKeys: TemplateKeys | undefined;
  userId: number;
  templateId: number;
}

/** Called once per issue command: an error (Redis unavailable) or the script's reply. */
export type IssueReplyHandler<T> = (ctx: T, err: Error | null, code: number, seq: number, issuedAtMs: number) => void;

/** What the HTTP app sends issue commands through: one Redis connection, or one per cluster master. */
export interface IssueChannel<T extends IssueContext> {
  readonly status: 'connecting' | 'ready' | 'reconnecting' | 'end';
  /** changes whenever a connection was made again (replies before it belong to an older Redis) */
  readonly generation: number;
  /** Send one issue command (only when `status === 'ready'`); its reply handler runs exactly once. */
  issue(ctx: T): void;
  /** Resolve once connected (or reject after `ms`). */
  ready(ms: number): Promise<void>;
  /** Close for good: waiting commands are answered with an error. */
  close(): void;
}

/** Settings of an {@link IssuePipeline}. */
export interface IssuePipelineOptions<T> {
  /** redis://[user:pass@]host:port[/db] (no TLS) */
  readonly url: string;
  /** no reply and no progress for this long while commands wait: fail them all (503) */
  readonly timeoutMs: number;
  readonly onReply: IssueReplyHandler<T>;
  readonly name?: string;
}
