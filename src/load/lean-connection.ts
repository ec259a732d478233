import { connect, type Socket } from 'node:net';
import { backoffMs } from '../shared/backoff.js';
import { INCOMPLETE, MALFORMED, MAX_BODY_BYTES, parseResponse, TOO_LARGE, type ParsedResponse } from './http1-response.js';

/** What a request on a {@link LeanConnection} reports to (undici's legacy handler shape). */
export interface LeanHandler {
  /**
   * Called just before the request is written on a connected socket; `immediate` when that is at
   * once, inside dispatch() (a kept-alive connection), so the caller's own send time still holds.
   */
  onConnect(abort: (err?: Error) => void, immediate?: boolean): void;
  onHeaders(statusCode: number): boolean;
  /** `chunk` is only valid during the call (it may view a shared read buffer) */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

/**
 * One read buffer for every connection: a read callback runs to completion before the next read,
 * and whatever a response leaves unfinished is copied out, so connections can share it.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** Reconnect before sending when the server's keep-alive timeout is this close (as undici does). */
const KEEP_ALIVE_MARGIN_MS = 1000;
/** Backoff between connect attempts for a request not yet sent: doubles from the first, up to the cap. */
const RETRY_FIRST_MS = 10;
const RETRY_CAP_MS = 250;

/** Connection set-ups of a set of connections (an engine's): the ones that worked, and why the others failed. */
export interface ConnectStats {
  opened: number;
  /** failed connect attempts by error code (ECONNREFUSED, ECONNRESET, CONNECT_TIMEOUT, ...) */
  failed: Record<string, number>;
}

export const newConnectStats = (): ConnectStats => ({ opened: 0, failed: {} });

function socketError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * A keep-alive HTTP/1.1 connection for the load engine: one request at a time (like a k6 VU),
 * the request written with one write, the answer read through `onread` into a shared buffer and
 * framed by {@link parseResponse}. It does one job, so it costs about what Node's socket layer
 * costs (bench/run-vs-wrk.js: a third of undici's CPU per request). Reconnects on the next request
 * after the server closed (also a server that closes after every answer, as HTTP/1.0 ones do), and
 * before the server's announced keep-alive timeout runs out. A request whose connection cannot be
 * set up (refused, reset, timed out) was never sent, so it is safe to try again: the connection
 * retries with a bounded backoff until it is sent or the caller cancels it.
 */
export class LeanConnection {
  private socket: Socket | undefined;
  private connected = false;
  private handler: LeanHandler | undefined;
  private request: string | Buffer | undefined;
  /** bytes of an answer that did not arrive in one read */
  private partial: Buffer | undefined;
  /** when the previous request was sent (the caller's clock): an upper bound of the idle time */
  private lastSendAt = 0;
  private serverKeepAliveMs = 0;
  /** close once the request in flight is answered (close() was called while busy) */
  private closeAfter = false;
  /** a connect retry waiting to run */
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  /** why the last connect attempt failed (for the error of a request never sent) */
  private lastConnectError: string | undefined;
  private readonly res: ParsedResponse = { status: 0, body: undefined, keepAlive: true, keepAliveMs: 0, untilClose: false };
  private readonly abort = (err?: Error): void => this.fail(err ?? socketError('REQUEST_ABORTED', 'request aborted'));
  /** bytes written and read on this connection's sockets so far (k6's data_sent / data_received) */
  sent = 0;
  received = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs: number,
    private readonly stats: ConnectStats = newConnectStats(),
  ) {}

  /**
   * Send one request (`payload` is the whole request: head and body); `now` is the caller's
   * performance.now(), so this path reads no clock itself.
   */
  dispatch(payload: string | Buffer, h: LeanHandler, now: number): void {
    if (this.handler !== undefined) {
      h.onError(socketError('CONNECTION_BUSY', 'a request is already in flight on this connection'));
      return;
    }
    this.handler = h;
    // Time since the last send is at least the idle time: reconnecting a little early is harmless.
    if (this.connected && this.serverKeepAliveMs > 0 && now - this.lastSendAt > this.serverKeepAliveMs - KEEP_ALIVE_MARGIN_MS) {
      this.drop();
    }
    this.lastSendAt = now;
    if (this.connected) {
      h.onConnect(this.abort, true);
      this.sent += payload.length;
      (this.socket as Socket).write(payload as string, 'latin1');
    } else {
      this.request = payload;
      if (this.socket === undefined) this.open();
    }
  }

  /** Close after the request in flight (if any). */
  close(): Promise<void> {
    const s = this.socket;
    if (s === undefined) {
      // A request still waiting for its connection was never sent: it ends now, as NOT_SENT.
      if (this.handler !== undefined) this.cancel(socketError('CONNECTION_CLOSED', 'connection closed before the request was sent'));
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      if (this.handler === undefined) s.end();
      else this.closeAfter = true;
    });
  }

  /**
   * Give up on the request in flight (its handler gets `err`) and drop the socket. A request that
   * never left (its connection could not be set up) fails as NOT_SENT, naming the connect error.
   */
  cancel(err: Error): void {
    if (this.request !== undefined && this.lastConnectError !== undefined) {
      err = socketError('NOT_SENT', `never sent: the connection could not be set up (${this.lastConnectError}, ${this.retries + 1} attempts)`);
    }
    this.fail(err);
  }

  destroy(): void {
    const h = this.handler;
    this.handler = undefined;
    this.drop();
    h?.onError(socketError('CONNECTION_DESTROYED', 'connection destroyed'));
  }

  private open(): void {
    const s = connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket = s;
    s.setTimeout(this.connectTimeoutMs, () => {
      if (!this.connected) s.destroy(socketError('CONNECT_TIMEOUT', `connect timed out after ${this.connectTimeoutMs} ms`));
    });
    s.on('connect', () => {
      if (this.socket !== s) return;
      s.setTimeout(0);
      this.connected = true;
      this.stats.opened++;
      this.retries = 0;
      this.lastConnectError = undefined;
      const req = this.request;
      this.request = undefined;
      if (req !== undefined && this.handler !== undefined) {
        this.handler.onConnect(this.abort);
        this.sent += req.length;
        s.write(req as string, 'latin1');
      }
    });
    let error: Error | undefined;
    s.on('error', (err) => (error = err));
    // The server closed its side (an idle keep-alive connection timed out, or it closes after each
    // answer): do not send on it again.
    s.on('end', () => {
      if (this.socket === s && this.handler === undefined) this.drop();
    });
    s.on('close', () => {
      if (this.socket !== s) return;
      const wasConnected = this.connected;
      this.socket = undefined;
      this.connected = false;
      this.partial = undefined;
      if (!wasConnected) {
        const code = (error as (Error & { code?: string }) | undefined)?.code ?? 'SOCKET_CLOSED';
        this.stats.failed[code] = (this.stats.failed[code] ?? 0) + 1;
        if (this.handler !== undefined && this.request !== undefined) {
          this.lastConnectError = code;
          this.retryLater();
          return;
        }
      }
      if (this.handler === undefined) return;
      if (this.res.untilClose) {
        this.deliver();
        return;
      }
      const code = (error as (Error & { code?: string }) | undefined)?.code ?? 'SOCKET_CLOSED';
      this.fail(socketError(code, error?.message ?? 'the server closed the connection before answering'));
    });
  }

  /** The request was not sent (connect failed): open again after a backoff (10, 20, 40 ... 250 ms). */
  private retryLater(): void {
    const wait = backoffMs(this.retries, RETRY_FIRST_MS, RETRY_CAP_MS);
    this.retries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.handler !== undefined && this.request !== undefined && this.socket === undefined) this.open();
    }, wait * (0.5 + Math.random() * 0.5));
  }

  private onRead(n: number, chunk: Buffer): boolean {
    this.received += n;
    if (this.handler === undefined) {
      // Bytes nobody asked for: the stream is out of step.
      this.drop();
      return false;
    }
    let buf = chunk;
    let end = n;
    if (this.partial !== undefined) {
      buf = Buffer.concat([this.partial, chunk.subarray(0, n)]);
      end = buf.length;
    }
    if (this.res.untilClose) {
      // An unframed body: keep everything until the server closes (up to the limit).
      if (end > MAX_BODY_BYTES) return this.tooLarge();
      this.partial = Buffer.from(buf.subarray(0, end));
      this.res.body = this.partial;
      return true;
    }
    const next = parseResponse(buf, 0, end, this.res);
    if (next === INCOMPLETE) {
      this.partial = Buffer.from(buf.subarray(0, end));
      return true;
    }
    this.partial = undefined;
    if (next === TOO_LARGE) return this.tooLarge();
    if (next === MALFORMED || next < end) {
      // Not HTTP, or more bytes than one answer (the server answered something not asked).
      this.fail(socketError('MALFORMED_RESPONSE', 'the server sent bytes that are not one HTTP/1.1 response'));
      return false;
    }
    if (this.res.untilClose) {
      if (this.res.body !== undefined) this.res.body = this.partial = Buffer.from(this.res.body);
      return true;
    }
    this.deliver();
    return true;
  }

  /** A body over the limit: the request fails as RESPONSE_TOO_LARGE and the connection is dropped (its stream can't be trusted). */
  private tooLarge(): false {
    this.fail(socketError('RESPONSE_TOO_LARGE', `the server's answer has a body over ${MAX_BODY_BYTES} bytes`));
    return false;
  }

  /** Hand the parsed answer to its handler; the connection is free again before the handler runs. */
  private deliver(): void {
    const h = this.handler as LeanHandler;
    const r = this.res;
    this.handler = undefined;
    this.serverKeepAliveMs = r.keepAliveMs;
    if (!r.keepAlive || this.closeAfter) this.drop();
    r.untilClose = false;
    const body = r.body;
    r.body = undefined;
    h.onHeaders(r.status);
    if (body !== undefined) h.onData(body);
    h.onComplete();
  }

  private fail(err: Error): void {
    const h = this.handler;
    this.handler = undefined;
    this.drop();
    h?.onError(err);
  }

  /** Forget the socket (the next request opens a new one). */
  private drop(): void {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.retries = 0;
    this.lastConnectError = undefined;
    const s = this.socket;
    this.socket = undefined;
    this.connected = false;
    this.partial = undefined;
    this.request = undefined;
    this.res.untilClose = false;
    s?.destroy();
  }
}
