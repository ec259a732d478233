import { createHash } from 'node:crypto';
import { CouponBenchError } from '../errors.js';
import type { IssueChannel, IssueContext, IssuePipelineOptions } from './issue-channel.js';
import { RawConnection, type RawWaiter } from '../redis/raw-connection.js';
import { bulk, encodeCommand, rawRedisTarget } from '../redis/resp.js';
import type { RespReader, RespReply } from '../redis/resp-reader.js';
import { loadScripts } from '../redis/scripts.js';
import { redisRefusal } from '../redis/refusal.js';

/**
 * Users in flight (written, not yet answered) from which new ones wait for Redis's next replies
 * instead of being written at the end of the loop turn (see flushSoon).
 */
export const HOLD_FROM_IN_FLIGHT = 32;

/**
 * Most users one script call carries. A call runs in Redis as one command (about 5 µs a user), so
 * this bounds how long any one call holds Redis; every user of a loop turn of one template still goes
 * in as few calls as this allows.
 */
export const MAX_USERS_PER_CALL = 128;

/**
 * One script call (EVALSHA, or EVAL after NOSCRIPT) for users of one template, answered together:
 * the waiter of its reply on the pipeline's connection.
 */
class Call<T extends IssueContext> implements RawWaiter {
  /** its callers were already answered (timeout): the reply is dropped */
  answered = false;
  constructor(
    private readonly pipeline: IssuePipeline<T>,
    readonly ctxs: readonly T[],
  ) {}

  decode(r: RespReader): unknown {
    return r.any();
  }

  resolve(value: unknown): void {
    this.pipeline.deliver(this, value as RespReply);
  }

  /** The connection was lost or closed first. */
  reject(err: Error): void {
    if (this.answered) return;
    this.answered = true;
    this.pipeline.answerAll(this.ctxs, err);
  }
}

/**
 * A dedicated, pipelined Redis connection for the issue script only — the server's hot path.
 *
 * Why not ioredis here: measured on this project, an ioredis call (Command object, promise, argument
 * flattening, per-command timer) costs ~15-20 µs of CPU, about 40% of a whole bare HTTP request;
 * this client costs ~4 µs. It sends just EVALSHA of `lua/issue-4.lua` with the command prefix
 * pre-encoded per template, on a RawConnection (replies matched in FIFO order), with EVAL fallback
 * on NOSCRIPT. The users issued in one loop turn go out at its end in one write, as one script call per
 * template (up to MAX_USERS_PER_CALL users, served in arrival order): Redis pays a script call's
 * fixed cost (about 2 µs of its ~7) once per call, not once per user. Admin, read and metrics
 * routes keep using ioredis (`defineCommand`), as does everything else in the project.
 *
 * Fail fast: commands are only accepted when connected; a lost connection answers every waiting
 * command at once; if Redis stops answering for `timeoutMs` the waiting commands are answered
 * with a timeout (the sweep skips a round when the event loop itself was stalled, so a busy
 * process does not mistake its own lag for a dead Redis). Reconnects forever with a short backoff.
 */
export class IssuePipeline<T extends IssueContext> implements IssueChannel<T> {
  status: 'connecting' | 'ready' | 'reconnecting' | 'end' = 'connecting';
  /** counts the connections that became ready: a reply always belongs to the current one */
  generation = 0;
  private readonly conn: RawConnection;
  private readonly lua: string;
  private readonly sha: string;
  /** per template (stock key): the encoded EVALSHA command after its `*N` header, up to the keys */
  private readonly evalshaHeads = new Map<string, string>();
  /** waiters of the connection numbered below this were already answered by a timeout sweep */
  private sweptTo = 0;
  /** issued, not yet written (this loop turn's, or held by HOLD_FROM_IN_FLIGHT) */
  private staged: T[] = [];
  /** users in written calls not yet answered */
  private inFlight = 0;
  private flushScheduled = false;
  private lastProgressAt = 0;
  private lastSweepAt = 0;
  private readonly sweepTimer: NodeJS.Timeout;
  /**
   * Batching: everything issued in one loop turn goes out in one write at its end. Only when
   * HOLD_FROM_IN_FLIGHT users are already in flight (Redis is the bottleneck) do new ones wait
   * for its next replies (afterReplies writes then), so Redis gets them in bigger calls.
   *
   * Holding whenever anything was in flight (an earlier rule) made a command that arrived during
   * one slow reply wait for that reply and then for its own. Measured at 5,000 req/s, in nine 5 s
   * windows each: the p99 of the wait before the write fell from 0.7-3.1 ms to 0.1-1.1 ms (most of
   * it now waits in Redis instead; the server's own p99 moved from 3.4 to 3.2 ms, median), and
   * Redis read as many commands per read as before, at 5,000 req/s and under wrk alike.
   */
  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    if (this.inFlight < HOLD_FROM_IN_FLIGHT) this.flush();
  };

  constructor(private readonly opts: IssuePipelineOptions<T>) {
    const url = new URL(opts.url);
    if (url.protocol !== 'redis:') throw new CouponBenchError('E_BAD_REDIS_URL', `issue pipeline supports redis:// only, got ${url.protocol}`);
    const script = loadScripts().find((s) => s.name === 'issue');
    if (!script) throw new CouponBenchError('E_SCRIPTS', 'lua/issue-4.lua not found');
    this.lua = script.lua;
    this.sha = createHash('sha1').update(this.lua).digest('hex');
    this.lastSweepAt = Date.now();
    this.sweepTimer = setInterval(() => this.sweep(), 10);
    this.sweepTimer.unref();
    this.conn = new RawConnection(rawRedisTarget(url, opts.name ?? 'coupon-bench-issue'), {
      reconnect: { baseMs: 50, capMs: 500 },
      lostError: () => new CouponBenchError('E_REDIS_CONNECTION_LOST', 'Redis connection lost'),
      onConnect: () => (this.lastProgressAt = Date.now()),
      onReady: () => {
        if (this.status === 'end') return;
        this.status = 'ready';
        this.generation++;
      },
      onReplies: () => this.afterReplies(),
      onLost: (err) => this.onLost(err),
    });
    this.conn.open();
  }

  /** Resolve once connected (or reject after `ms`). */
  ready(ms: number): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (this.status === 'ready') {
          clearInterval(poll);
          resolve();
          return;
        }
        const where = `${this.conn.target.host}:${this.conn.target.port}`;
        const lastError = this.conn.lastError;
        const refused = redisRefusal(where, lastError);
        if (refused || Date.now() - started > ms || this.status === 'end') {
          clearInterval(poll);
          reject(refused ?? new CouponBenchError('E_REDIS_UNREACHABLE', `cannot reach Redis at ${where}${lastError !== undefined ? ` (${lastError})` : ''}`));
        }
      }, 10);
    });
  }

  /**
   * Send one issue command. Only call when `status === 'ready'`; `onReply` is called exactly once
   * with `ctx`.
   */
  issue(ctx: T): void {
    if (this.staged.length === 0 && this.conn.waiting === 0) this.lastProgressAt = Date.now();
    this.staged.push(ctx);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Close for good: waiting commands are answered with an error. */
  close(): void {
    this.status = 'end';
    clearInterval(this.sweepTimer);
    this.conn.close(new CouponBenchError('E_REDIS_CLOSED', 'connection closed'));
  }

  /** Write every staged user: one script call per template and MAX_USERS_PER_CALL, in one write. */
  private flush(): void {
    const staged = this.staged;
    if (!this.conn.isOpen || staged.length === 0) return;
    this.staged = [];
    let out = '';
    const stock = staged[0]!.issueKeys!.stock;
    let oneTemplate = true;
    for (let i = 1; i < staged.length && oneTemplate; i++) oneTemplate = staged[i]!.issueKeys!.stock === stock;
    if (oneTemplate) {
      out = this.encodeCalls(staged);
    } else {
      // Several templates in one turn: one group each, in order of first arrival (order within a template kept).
      const groups = new Map<string, T[]>();
      for (const c of staged) {
        const k = c.issueKeys!.stock;
        const g = groups.get(k);
        if (g === undefined) groups.set(k, [c]);
        else g.push(c);
      }
      for (const g of groups.values()) out += this.encodeCalls(g);
    }
    this.conn.write(out);
  }

  /** The calls for users of one template, MAX_USERS_PER_CALL a call. */
  private encodeCalls(ctxs: readonly T[]): string {
    if (ctxs.length <= MAX_USERS_PER_CALL) return this.encodeCall(ctxs);
    let out = '';
    for (let i = 0; i < ctxs.length; i += MAX_USERS_PER_CALL) out += this.encodeCall(ctxs.slice(i, i + MAX_USERS_PER_CALL));
    return out;
  }

  /** EVALSHA for `ctxs` (one template): ARGV = first userId, templateId, further userIds. Queues its reply slot. */
  private encodeCall(ctxs: readonly T[]): string {
    const first = ctxs[0]!;
    const keys = first.issueKeys!;
    let head = this.evalshaHeads.get(keys.stock);
    if (head === undefined) {
      head = `$7\r\nEVALSHA\r\n$40\r\n${this.sha}\r\n$1\r\n4\r\n${bulk(keys.stock)}${bulk(keys.seq)}${bulk(keys.users)}${bulk(keys.outbox)}`;
      if (this.evalshaHeads.size < 10_000) this.evalshaHeads.set(keys.stock, head);
    }
    const u = String(first.userId);
    const t = String(first.templateId);
    let cmd = `*${8 + ctxs.length}\r\n${head}$${u.length}\r\n${u}\r\n$${t.length}\r\n${t}\r\n`;
    for (let i = 1; i < ctxs.length; i++) {
      const v = String(ctxs[i]!.userId);
      cmd += `$${v.length}\r\n${v}\r\n`;
    }
    this.conn.expect(new Call(this, ctxs));
    this.inFlight += ctxs.length;
    return cmd;
  }

  // ---- connection -----------------------------------------------------------------------------

  /** The connection was lost or closed, its calls answered with `err`: so are the staged users. */
  private onLost(err: Error): void {
    const staged = this.staged;
    this.staged = [];
    this.inFlight = 0;
    this.answerAll(staged, err);
    if (this.status !== 'end') this.status = 'reconnecting';
  }

  /** Answer everything waiting when Redis made no progress for timeoutMs (loop lag excluded). */
  private sweep(): void {
    const now = Date.now();
    const late = now - this.lastSweepAt > 50;
    this.lastSweepAt = now;
    // While the socket connects only its handshake is written: nothing Redis could be late with.
    const idle = this.staged.length === 0 && (this.conn.waiting === 0 || this.conn.connecting);
    if (late || idle || now - this.lastProgressAt <= this.opts.timeoutMs) return;
    const err = new CouponBenchError('E_REDIS_TIMEOUT', `Redis did not answer within ${this.opts.timeoutMs} ms`);
    // Users not written yet are answered and dropped: never send what the client was told failed.
    const staged = this.staged;
    this.staged = [];
    this.answerAll(staged, err);
    this.conn.forEachWaiting(this.sweptTo, (w) => {
      if (!(w instanceof Call) || w.answered) return;
      w.answered = true;
      this.inFlight -= w.ctxs.length;
      this.answerAll(w.ctxs, err);
    });
    this.sweptTo = this.conn.queued;
    // Still silent long after: the connection is probably dead without a reset; start over.
    if (now - this.lastProgressAt > Math.max(2000, 10 * this.opts.timeoutMs)) this.conn.fail(new Error('Redis stopped answering'));
  }

  // ---- replies --------------------------------------------------------------------------------

  /** After the replies of a chunk: users held back by HOLD_FROM_IN_FLIGHT go out now, behind them. */
  private afterReplies(): void {
    this.lastProgressAt = Date.now();
    if (this.staged.length > 0) this.flush();
  }

  /** @internal The reply to `call` (handed over by the call, the connection's waiter). */
  deliver(call: Call<T>, value: RespReply): void {
    if (call.answered) return; // answered already (timeout): drop the late reply
    const ctxs = call.ctxs;
    this.inFlight -= ctxs.length;
    if (Array.isArray(value) && value.length === 3 * ctxs.length) {
      for (let k = 0; k < ctxs.length; k++) {
        this.opts.onReply(ctxs[k]!, null, value[3 * k] as number, value[3 * k + 1] as number, value[3 * k + 2] as number);
      }
    } else if (value instanceof Error && value.message.startsWith('NOSCRIPT')) {
      // Script cache flushed: send this call again as EVAL (which also re-caches the script).
      this.resendAsEval(call);
    } else {
      this.answerAll(ctxs, value instanceof Error ? value : new CouponBenchError('E_SCRIPT_REPLY', 'issue script returned an unexpected reply'));
    }
  }

  /** @internal Answer `ctxs` with `err`. */
  answerAll(ctxs: readonly T[], err: Error): void {
    for (const c of ctxs) this.opts.onReply(c, err, 0, 0, 0);
  }

  private resendAsEval(call: Call<T>): void {
    const first = call.ctxs[0]!;
    const keys = first.issueKeys;
    if (!keys || this.status !== 'ready' || !this.conn.isOpen) {
      this.answerAll(call.ctxs, new CouponBenchError('E_REDIS_NOSCRIPT', 'script missing and cannot be resent'));
      return;
    }
    const argv = [String(first.userId), String(first.templateId), ...call.ctxs.slice(1).map((c) => String(c.userId))];
    this.conn.expect(call);
    this.conn.write(encodeCommand(['EVAL', this.lua, '4', keys.stock, keys.seq, keys.users, keys.outbox, ...argv]));
    this.inFlight += call.ctxs.length;
  }
}
