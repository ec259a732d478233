/** What the bundled server says about persistence, summed over the run's templates. */
export interface PersistStatus {
  /** coupons issued (Redis) */
  issued: number;
  /** rows in the database */
  persisted: number;
  /** issued but not yet persisted */
  lag: number;
}

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

  constructor(
    private readonly origin: string,
    private readonly templateIds: number[],
    private readonly everyMs = 1000,
  ) {}

  /** Start polling (first look right away). */
  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round over the templates; skipped while the previous one is still out. */
  async poll(): Promise<void> {
    if (this.busy || this.disabled) return;
    this.busy = true;
    try {
      const rows = await Promise.all(this.templateIds.map((id) => this.fetchOne(id)));
      if (rows.some((r) => r === null)) {
        // not the bundled server (or no such route): do not keep asking
        this.disabled = true;
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
      const res = await fetch(`${this.origin}/api/templates/${id}`, { signal: AbortSignal.timeout(Math.max(200, this.everyMs - 100)) });
      const text = await res.text();
      if (res.status >= 500) return undefined;
      if (res.status !== 200) return null;
      const j = JSON.parse(text) as { issued?: unknown; persisted?: unknown };
      if (typeof j.issued !== 'number' || typeof j.persisted !== 'number') return null;
      return { issued: j.issued, persisted: j.persisted };
    } catch (err) {
      return err instanceof SyntaxError ? null : undefined;
    }
  }
}
