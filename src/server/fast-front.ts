import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TemplateKeys } from '../redis/keys.js';
import type { HttpApp, IssueExchange } from './http-app.js';
import { HANDOFF, parseFastRequest, type FastRequest } from './fast-request.js';

/** Unparsed bytes a busy connection may hold before it stops reading. */
const MAX_BUFFERED = 64 * 1024;

type ConnectionListener = (this: Server, socket: Socket) => void;

let dateSecond = -1;
let dateLine = '';
/** `Date: …\r\n`, formatted once a second (node:http caches its Date header the same way). */
function dateHeader(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return dateLine;
}

const STATUS_LINES = new Map<number, string>();
function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\nContent-Type: application/json\r\nContent-Length: `;
    STATUS_LINES.set(status, line);
  }
  return line;
}

/**
 * The issue route's fast front. It takes the HTTP server's connections first and answers complete,
 * plainly formed `POST /api/coupons/issue` requests (and `GET /healthz`, which load generators use
 * to open their connections) itself: one small parser
 * ({@link parseFastRequest}), one write per answer, no IncomingMessage/ServerResponse, streams or
 * per-request objects (the connection is the exchange). The first request it does not recognise
 * (another route, a malformed or partial request, chunked bodies, HTTP/1.0, ...) hands the whole
 * connection, with the bytes already read, to node:http for good, so every error answer, limit and
 * timeout of the hardened node:http path still applies. Measured: about half the CPU per request
 * of node:http on the issue route (bench/serve-throughput.js compares `--http-front node`).
 */
export class FastFront {
  private readonly connections = new Set<FastConnection>();
  readonly keepAliveLine: string;

  constructor(
    readonly app: HttpApp,
    private readonly server: Server,
    private readonly nodeListener: ConnectionListener,
    readonly keepAliveMs: number,
  ) {
    this.keepAliveLine = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.max(1, Math.floor(keepAliveMs / 1000))}\r\n\r\n`;
  }

  /**
   * Put the fast front in front of an http.Server: its own 'connection' listener is taken off and
   * kept for hand-offs. Call before listen(). Undefined (node:http stays in front of everything)
   * when the server does not have exactly its one built-in listener.
   */
  static install(app: HttpApp, server: Server, keepAliveMs: number): FastFront | undefined {
    const listeners = server.listeners('connection') as ConnectionListener[];
    if (listeners.length !== 1) return undefined;
    const nodeListener = listeners[0]!;
    server.removeListener('connection', nodeListener);
    const front = new FastFront(app, server, nodeListener, keepAliveMs);
    server.on('connection', front.accept);
    return front;
  }

  readonly accept = (socket: Socket): void => {
    const c = new FastConnection(this, socket);
    this.connections.add(c);
  };

  /** Give a connection to node:http, with the bytes it has read and not answered. */
  handOff(socket: Socket, unread: Buffer | undefined): void {
    socket.pause();
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('timeout');
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.removeAllListeners('drain');
    socket.setTimeout(0);
    if (unread !== undefined) socket.unshift(unread);
    // Keep node:http on the socket's JS stream (not its native consume() path), so the bytes
    // unshifted above are parsed first, before anything read later.
    const handle = (socket as Socket & { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = true;
    this.nodeListener.call(this.server, socket);
    socket.resume();
  }

  forget(c: FastConnection): void {
    this.connections.delete(c);
  }

  /** Draining: close idle connections now; busy ones close after their answer. */
  closeIdle(): void {
    for (const c of this.connections) if (!c.busy) c.close();
  }

  closeAll(): void {
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
  }
}

/** One fast-front connection; also the exchange of its (single) request in flight. */
class FastConnection implements IssueExchange {
  startedAt = 0;
  userId = 0;
  templateId = 0;
  issueKeys: TemplateKeys | undefined = undefined;
  readonly app: HttpApp;
  /** a request was taken and is not answered yet */
  busy = false;
  private closeAfter = false;
  private closed = false;
  private processing = false;
  private unread: Buffer | undefined = undefined;
  private readonly req: FastRequest = { kind: 'issue', bodyStart: 0, bodyEnd: 0, close: false };

  constructor(
    private readonly front: FastFront,
    readonly socket: Socket,
  ) {
    this.app = front.app;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onClose);
    socket.on('close', this.onClose);
    socket.setTimeout(front.keepAliveMs, this.onIdle);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.unread = this.unread === undefined ? chunk : Buffer.concat([this.unread, chunk]);
    if (this.busy) {
      // HTTP pipelining: answers go out in order, so the next request waits for this answer.
      if (this.unread.length > MAX_BUFFERED) this.socket.pause();
      return;
    }
    this.process();
  };

  /** Take requests from the unread bytes until one is in flight, none is left, or a hand-off. */
  private process(): void {
    this.processing = true;
    while (!this.busy && !this.closed && this.unread !== undefined) {
      if (this.socket.writableNeedDrain) {
        // The client sends faster than it reads its answers: stop reading until it catches up.
        this.socket.pause();
        this.socket.once('drain', this.onDrain);
        break;
      }
      const buf = this.unread;
      const end = parseFastRequest(buf, 0, this.app.bodyLimit, this.req);
      if (end === HANDOFF || this.app.draining) {
        // not ours (or draining: node:http answers 503 and closes)
        this.closed = true;
        this.unread = undefined;
        this.front.forget(this);
        this.front.handOff(this.socket, buf);
        return;
      }
      this.unread = end === buf.length ? undefined : buf.subarray(end);
      this.closeAfter = this.req.close;
      this.busy = true;
      this.startedAt = performance.now();
      if (this.req.kind === 'healthz') this.app.healthzTo(this);
      else this.app.issueText(this, buf.toString('utf8', this.req.bodyStart, this.req.bodyEnd));
    }
    this.processing = false;
    if (!this.busy && !this.closed && !this.socket.writableNeedDrain && this.socket.isPaused()) this.socket.resume();
  }

  respond(status: number, body: string, headers: readonly string[] | undefined): boolean {
    if (!this.busy || this.closed) return false;
    this.busy = false;
    let close = this.closeAfter || this.app.draining;
    let extra = '';
    if (headers !== undefined) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const name = headers[i]!;
        const value = headers[i + 1]!;
        if (name.toLowerCase() === 'connection') close ||= value.toLowerCase() === 'close';
        else extra += `${name}: ${value}\r\n`;
      }
    }
    const head =
      statusLine(status) + String(Buffer.byteLength(body)) + '\r\n' + dateHeader() + extra + (close ? 'Connection: close\r\n\r\n' : this.front.keepAliveLine);
    this.socket.write(head + body);
    if (close) this.close();
    else if (this.unread !== undefined && !this.processing) queueMicrotask(() => this.process());
    return true;
  }

  /** End the connection after what was written (its unread bytes are dropped). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unread = undefined;
    this.front.forget(this);
    this.socket.end();
    // A peer that never reads or closes cannot keep the socket.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private readonly onDrain = (): void => {
    if (!this.closed && !this.busy) this.process();
  };

  private readonly onEnd = (): void => {
    // The client half-closed: answer what is in flight, then close.
    if (this.busy) this.closeAfter = true;
    else this.close();
  };

  private readonly onIdle = (): void => {
    // A request in flight is answered by the Redis timeout; an idle keep-alive connection closes.
    if (!this.busy) {
      this.closed = true;
      this.front.forget(this);
      this.socket.destroy();
    }
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.unread = undefined;
    this.front.forget(this);
  };
}
