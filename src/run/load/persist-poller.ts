import { Client } from 'undici';
import type { PersistStatus } from '../../model/persist-status.js';

export type { PersistStatus };

/**
 * Polls `GET /api/templates/:id` (stock, issued, persisted) once a second on its own connections,
 * off the engine's hot path, so the run's progress can show the persister's lag. A target whose
 * answer lacks those fields is not the bundled server: polling stops after the first look.
 */
export class PersistPoller {
  latest: PersistStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private disabled = false;
  /** its own keep-alive connection: never one of the engine's */
  private readonly client: Client;

  constructor(
    origin: string,
    private readonly templateIds: number[],
    private readonly everyMs = 1000,
  ) {
    this.client = new Client(origin, { pipelining: 1, keepAliveTimeout: 10_000 });
  }

  /**
   * First look now (awaited, so connecting and first-use costs land before the run's clock
   * starts), then once every `everyMs`. The first look's figures predate the run: `latest` stays
   * unset until a look taken during the run is back.
   */
  async start(): Promise<void> {
    await this.poll();
    this.latest = undefined;
    if (this.disabled) return;
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    this.timer.unref();
  }

  /** Stop polling and close the connection. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.disabled = true;
    this.client.close().catch(() => undefined);
  }

  /** One round over the templates; skipped while the previous one is still out. */
  async poll(): Promise<void> {
    if (this.busy || this.disabled) return;
    this.busy = true;
    try {
      const rows = await Promise.all(this.templateIds.map((id) => this.fetchOne(id)));
      if (rows.some((r) => r === null)) {
        // not the bundled server (or no such route): do not keep asking
        this.stop();
        return;
      }
      let issued = 0;
      let persisted = 0;
      for (const r of rows) {
        if (!r) return; // a transient failure: keep the last status
        issued += r.issued;
        persisted += r.persisted;
      }
      this.latest = { issued, persisted, lag: Math.max(0, issued - persisted) };
    } finally {
      this.busy = false;
    }
  }

  /** undefined: transient failure; null: the answer is not the bundled server's. */
  private async fetchOne(id: number): Promise<{ issued: number; persisted: number } | undefined | null> {
    try {
      const timeout = Math.max(200, this.everyMs - 100);
      const res = await this.client.request({ method: 'GET', path: `/api/templates/${id}`, headersTimeout: timeout, bodyTimeout: timeout });
      const text = await res.body.text();
      if (res.statusCode >= 500) return undefined;
      if (res.statusCode !== 200) return null;
      const j = JSON.parse(text) as { issued?: unknown; persisted?: unknown };
      if (typeof j.issued !== 'number' || typeof j.persisted !== 'number') return null;
      return { issued: j.issued, persisted: j.persisted };
    } catch (err) {
      return err instanceof SyntaxError ? null : undefined;
    }
  }
}
