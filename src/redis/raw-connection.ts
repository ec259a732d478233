import { connect, type Socket } from 'node:net';
import { backoffMs } from '../shared/backoff.js';
import { encodeCommand, type RawRedisTarget } from './resp.js';
import { RESP_INCOMPLETE, RedisReplyError, RespReader } from './resp-reader.js';

/** One command written on a {@link RawConnection}, waiting for its reply (replies come in order). */
export interface RawWaiter {
  /**
   * Decode this command's reply at the reader's cursor: RESP_INCOMPLETE when the bytes end first
   * (decoded again from its start once more came); a thrown RedisReplyError rejects this waiter
   * only, anything else thrown drops the connection.
   */
  decode(r: RespReader): unknown;
  /** the decoded reply */
  resolve(value: unknown): void;
  /** an error reply, or the connection was lost or closed before the reply came */
  reject(err: Error): void;
}

/** What a {@link RawConnection} tells its owner; the hooks run synchronously. */
export interface RawConnectionOptions {
  /** Reconnect by itself after a loss, with this backoff; without it the owner calls open() again. */
  readonly reconnect?: { readonly baseMs: number; readonly capMs: number };
  /** The error waiters get when the connection is lost (default: the cause itself). */
  readonly lostError?: (cause: Error) => Error;
  /** TCP is up (the handshake was already written). */
  readonly onConnect?: () => void;
  /** Every handshake command was answered without an error. */
  readonly onReady?: () => void;
  /** A chunk of bytes was read and its complete replies handed out. */
  readonly onReplies?: () => void;
  /** The connection was lost or closed; its waiters were rejected with `err` just before. */
  readonly onLost?: (err: Error) => void;
}

/** The handshake commands of one connection attempt (one waiter, queued once per command). */
class Handshake implements RawWaiter {
  /** the socket connected: losing it now counts as the connection's error */
  connected = false;
  /** answered with an error: that reply is the connection's error */
  refused = false;
  constructor(
    private readonly conn: RawConnection,
    private left: number,
  ) {}

  decode(r: RespReader): unknown {
    return r.any();
  }

  resolve(value: unknown): void {
    if (value instanceof Error) {
      this.refused = true;
      this.conn.lastError = value.message;
      this.conn.fail(value);
    } else if (--this.left === 0) this.conn.handshakeDone();
  }

  reject(err: Error): void {
    if (this.connected && !this.refused) this.conn.lastError = err.message;
  }
}

/**
 * One plain-TCP Redis connection speaking raw RESP2: the handshake of its {@link RawRedisTarget}
 * first, then whatever its owner writes; every reply goes, in order, to the oldest waiter, which
 * decodes it itself from the shared {@link RespReader}. Used where ioredis costs too much per
 * command: the server's issue pipeline (batching on top) and the persister's stream reader.
 *
 * A socket error, a close, bytes that are not RESP, a reply nobody waits for or a refused handshake
 * lose the connection: every waiter is rejected at once. Then it either reconnects by itself (with
 * `reconnect`) or stays closed until the owner calls open() again. Events of a socket already
 * replaced never touch the new one.
 */
export class RawConnection {
  /** The last connection or handshake error (for messages about a connection that never came up). */
  lastError: string | undefined;
  private socket: Socket | undefined;
  private readonly reader = new RespReader();
  /** waiters in reply order; slots before `head` are answered */
  private queue: (RawWaiter | undefined)[] = [];
  private head = 0;
  /** waiters ever queued before queue[0] */
  private base = 0;
  private closed = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly target: RawRedisTarget,
    private readonly opts: RawConnectionOptions = {},
  ) {}

  /** A socket is there (connecting, in the handshake or ready): written commands will be answered or rejected. */
  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /** The socket is still being connected. */
  get connecting(): boolean {
    return this.socket?.connecting === true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waiters not answered yet (the handshake's included). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** How many waiters were ever queued: the number the next one gets (see {@link forEachWaiting}). */
  get queued(): number {
    return this.base + this.queue.length;
  }

  /** Connect and write the handshake, unless open already or closed for good. */
  open(): void {
    if (this.closed || this.socket !== undefined) return;
    const sock = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    this.socket = sock;
    this.reader.reset();
    const handshake = new Handshake(this, this.target.handshake.length);
    sock.on('data', (chunk: Buffer) => {
      if (this.socket === sock) this.onData(sock, chunk);
    });
    sock.on('error', (err) => {
      if (this.socket !== sock) return;
      this.lastError = err.message;
      this.fail(err);
    });
    sock.on('close', () => {
      if (this.socket === sock) this.fail(new Error('connection to Redis closed'));
    });
    sock.once('connect', () => {
      if (this.socket !== sock) return;
      handshake.connected = true;
      this.opts.onConnect?.();
      if (this.target.handshake.length === 0) this.handshakeDone();
    });
    for (let i = 0; i < this.target.handshake.length; i++) this.queue.push(handshake);
    sock.write(this.target.handshake.map(encodeCommand).join(''));
  }

  /** Queue the waiter of a command that is (or is about to be) written; only while {@link isOpen}. */
  expect(w: RawWaiter): void {
    this.queue.push(w);
  }

  /** Write encoded commands (their waiters queued with {@link expect}); only while {@link isOpen}. */
  write(data: string): void {
    this.socket!.write(data);
  }

  /** Calls `fn` for every waiter not answered yet whose number (see {@link queued}) is `from` or later. */
  forEachWaiting(from: number, fn: (w: RawWaiter) => void): void {
    const q = this.queue;
    for (let i = Math.max(this.head, from - this.base); i < q.length; i++) fn(q[i]!);
  }

  /** Drop the connection (a no-op when there is none): waiters rejected, then a reconnect if set up. */
  fail(cause: Error): void {
    const sock = this.socket;
    if (sock === undefined) return;
    this.socket = undefined;
    sock.destroy();
    const err = this.opts.lostError?.(cause) ?? cause;
    this.rejectAll(err);
    this.opts.onLost?.(err);
    if (this.closed || this.opts.reconnect === undefined) return;
    this.attempts++;
    this.reconnectTimer = setTimeout(() => this.open(), backoffMs(this.attempts - 1, this.opts.reconnect.baseMs, this.opts.reconnect.capMs));
    this.reconnectTimer.unref();
  }

  /** Close for good: waiters are rejected with `err`. */
  close(err: Error): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const sock = this.socket;
    this.socket = undefined;
    sock?.destroy();
    this.rejectAll(err);
    this.opts.onLost?.(err);
  }

  /** @internal the handshake of the current socket was answered */
  handshakeDone(): void {
    this.attempts = 0;
    this.opts.onReady?.();
  }

  private rejectAll(err: Error): void {
    const q = this.queue;
    const from = this.head;
    this.base += q.length;
    this.queue = [];
    this.head = 0;
    for (let i = from; i < q.length; i++) q[i]!.reject(err);
  }

  private onData(sock: Socket, chunk: Buffer): void {
    const r = this.reader;
    r.append(chunk);
    while (r.pos < r.buf.length) {
      if (this.head >= this.queue.length) {
        // A reply nobody asked for: start over rather than guess.
        this.fail(new Error('Redis sent a reply nobody asked for'));
        return;
      }
      const w = this.queue[this.head]!;
      const start = r.pos;
      let value: unknown;
      try {
        value = w.decode(r);
      } catch (err) {
        if (!(err instanceof RedisReplyError)) {
          this.fail(err as Error);
          return;
        }
        this.queue[this.head++] = undefined;
        w.reject(err);
        if (this.socket !== sock) return;
        continue;
      }
      if (value === RESP_INCOMPLETE) {
        r.pos = start;
        break;
      }
      this.queue[this.head++] = undefined;
      w.resolve(value);
      if (this.socket !== sock) return;
    }
    // Drop answered slots now and then so the queue does not grow forever.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
    this.opts.onReplies?.();
  }
}
