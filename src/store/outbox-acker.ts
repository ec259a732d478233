import { PERSISTER_GROUP } from '../redis/keys.js';
import { REDIS_CHUNK, type PersisterContext, type TemplateState } from './persister-context.js';
import { describeDbError } from './store-errors.js';

/**
 * Acknowledging the outbox: XACK after commit, XTRIM of what is acked (lua/ackTrim-1.lua), the
 * lag it leaves, and dead letters. Acks run behind the next batch's database work (at most one in
 * flight): the rows are committed, so a lost ack only means a harmless redelivery.
 */
export class OutboxAcker {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: PersisterContext) {}

  /** Resolves once the acks queued so far are done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Sum the templates' lags into the stats. */
  sumLag(): void {
    let lag = 0;
    for (const t of this.ctx.templates.values()) lag += t.lag;
    this.ctx.stats.lag = lag;
  }

  /** XLEN of every outbox: acked entries are trimmed right away, so it counts unread + pending. */
  async observeLag(): Promise<void> {
    const { templates, redis, stats } = this.ctx;
    if (templates.size === 0) return void (stats.lag = 0);
    // One command a template, sent together (a pipeline object would have to stay in one slot).
    const list = [...templates.values()];
    const res = await Promise.allSettled(list.map((t) => redis.xlen(t.outbox)));
    res.forEach((r, i) => {
      if (r.status === 'fulfilled') list[i]!.lag = r.value;
    });
    this.sumLag();
  }

  /** XACK (ids may be empty) and trim, one round trip; refreshes the template's lag. */
  async trim(t: TemplateState, ack: readonly (string | Buffer)[] = []): Promise<void> {
    t.lag = Number(await this.ctx.redis.ackTrim(t.outbox, PERSISTER_GROUP, ...ack));
    this.sumLag();
  }

  /** Committed rows: queue the ack of their ids, wait for the previous ack, count them. */
  async commitRows(t: TemplateState, n: number, ids: string[], added: number): Promise<void> {
    const previous = this.chain;
    this.queueAck(t, ids);
    await previous;
    const { stats } = this.ctx;
    stats.persisted += added;
    stats.duplicatesIgnored += n - added;
    stats.lastCommitAt = Date.now();
  }

  /** Move one entry to the template's dead-letter stream, atomically with its XACK and XDEL. */
  async deadLetter(t: TemplateState, id: string, fields: readonly string[], reason: string, deliveries: number): Promise<void> {
    const { redis, consumer } = this.ctx;
    await redis
      .multi()
      .xadd(t.dead, '*', ...fields, 'origId', id, 'reason', reason, 'deliveries', String(deliveries), 'consumer', consumer)
      .xack(t.outbox, PERSISTER_GROUP, id)
      .xdel(t.outbox, id)
      .exec();
    this.ctx.attempts.delete(id);
    this.ctx.stats.deadLettered += 1;
  }

  private queueAck(t: TemplateState, ids: string[]): void {
    this.chain = this.chain.then(() =>
      this.ackAndTrim(t, ids).catch((err: unknown) => {
        this.ctx.stats.lastError = `XACK failed, entries will be redelivered: ${describeDbError(err)}`;
        t.pendingFrom ??= '0';
      }),
    );
  }

  /** XACK after commit (REDIS_CHUNK ids a command), then trim what is acked. */
  private async ackAndTrim(t: TemplateState, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    let from = 0;
    for (; ids.length - from > REDIS_CHUNK; from += REDIS_CHUNK) await this.ctx.redis.xack(t.outbox, PERSISTER_GROUP, ...ids.slice(from, from + REDIS_CHUNK));
    await this.trim(t, ids.slice(from));
    const { attempts } = this.ctx;
    if (attempts.size > 0) for (const id of ids) attempts.delete(id);
  }
}
