import { openStore, type OpenStoreOptions } from './open-store.js';
import { dbEngineOf } from './db-url.js';
import { redactUrl } from '../shared/redact-url.js';
import type { CouponStore, IssuedRow, StoreEngine, TemplateRow } from './store.js';
import { StoreConnectError, describeDbError } from './store-errors.js';
import { backoffMs } from '../shared/backoff.js';

/** Settings of {@link RetryingStore.open}. */
export interface RetryingStoreOptions extends OpenStoreOptions {
  /** cap of the backoff between attempts, ms (default 2000) */
  maxBackoffMs?: number;
  /**
   * told when the first attempt failed, again whenever a later one fails for another reason (say,
   * the database answers now but refuses the credentials), and once when the database is open
   */
  onState?: (state: 'waiting' | 'open', detail: string) => void;
}

/**
 * A store that may open after start (`serve --wait-for-db`): when the database is unreachable at
 * start, the server still takes traffic (Redis is the gate; issued coupons wait in the outbox) and
 * the open is retried in the background with capped backoff. Until it succeeds every call fails with
 * E_DB_UNREACHABLE, which the admin routes answer with 503. Bad URLs, refused credentials and a
 * missing database still fail at once: waiting cannot fix them.
 */
export class RetryingStore implements CouponStore {
  readonly engine: StoreEngine;
  private inner: CouponStore | undefined;
  private lastError = '';
  /** error code of the last failed attempt: a new one is reported through onState */
  private lastCode: unknown;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;

  private constructor(
    private readonly url: string,
    private readonly opts: RetryingStoreOptions,
  ) {
    this.engine = dbEngineOf(url);
  }

  /** Open now if the database answers; else resolve at once and keep trying (other errors reject). */
  static async open(url: string, opts: RetryingStoreOptions = {}): Promise<RetryingStore> {
    const s = new RetryingStore(url, opts);
    try {
      s.inner = await openStore(url, opts);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'E_DB_UNREACHABLE') throw err;
      s.lastError = describeDbError(err);
      s.lastCode = 'E_DB_UNREACHABLE';
      opts.onState?.('waiting', s.lastError);
      s.schedule();
    }
    return s;
  }

  get location(): string {
    return this.inner?.location ?? redactUrl(this.url);
  }

  private schedule(): void {
    if (this.closed) return;
    this.attempts++;
    this.timer = setTimeout(() => void this.attempt(), backoffMs(this.attempts, 100, this.opts.maxBackoffMs ?? 2000));
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    try {
      const store = await openStore(this.url, this.opts);
      if (this.closed) {
        await store.close();
        return;
      }
      this.inner = store;
      this.opts.onState?.('open', store.location);
    } catch (err) {
      this.lastError = describeDbError(err);
      // Still trying (the server runs already), but say so when the reason changes.
      const code = (err as { code?: unknown }).code;
      if (code !== this.lastCode) this.opts.onState?.('waiting', this.lastError);
      this.lastCode = code;
      this.schedule();
    }
  }

  private get store(): CouponStore {
    if (this.inner === undefined) {
      throw new StoreConnectError('E_DB_UNREACHABLE', `the database is not reachable yet (${this.lastError}); retrying`);
    }
    return this.inner;
  }

  async init(): Promise<void> {
    await this.store.init();
  }

  async upsertTemplate(template: TemplateRow): Promise<void> {
    await this.store.upsertTemplate(template);
  }

  async getTemplate(templateId: number): Promise<TemplateRow | undefined> {
    return this.store.getTemplate(templateId);
  }

  async listTemplates(): Promise<TemplateRow[]> {
    return this.store.listTemplates();
  }

  async insertIssued(rows: readonly IssuedRow[]): Promise<number> {
    return this.store.insertIssued(rows);
  }

  async countIssued(templateId: number): Promise<number> {
    return this.store.countIssued(templateId);
  }

  async *scanIssued(templateId: number, batchSize?: number): AsyncIterable<IssuedRow[]> {
    yield* this.store.scanIssued(templateId, batchSize);
  }

  async truncate(): Promise<void> {
    await this.store.truncate();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.inner?.close();
  }
}
