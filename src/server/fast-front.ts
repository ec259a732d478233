import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TemplateKeys } from '../redis/keys.js';
import type { IssueExchange } from './app-core.js';
import type { HttpApp } from './http-app.js';
import { parseFastRequest, type FastRequest } from './fast-request.js';

/** Unparsed bytes a busy connection may hold before it stops reading. */
const MAX_BUFFERED = 64 * 1024;
/** Pipelined requests of one connection taken at once (one script call's worth, see issue-pipeline.ts). */
const MAX_PIPELINED = 128;

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
 * ({@link parseFastRequest}), one write per answer, no IncomingMessage/ServerResponse or streams
 * (each connection reuses its exchange objects). The first request it does not recognise
 * (another route, a malformed or partial request, chunked bodies, HTTP/1.0, ...) hands the whole
 * connection, with the bytes already read, to node:http for good, so every error answer, limit and
 * timeout of the hardened node:http path still applies; it does so once the answers to the
 * requests it took are written. Measured: about half the CPU per request
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

/** One request a fast-front connection took; answered in the connection's order. */
class FastExchange implements IssueExchange {
  startedAt = 0;
  userId = 0;
  templateId = 0;
  issueKeys: TemplateKeys | undefined = undefined;
  /** taken, not answered yet */
  open = false;
  /** the client asked to close after this request */
  clientClose = false;
  /** an answer that waits for the ones before it to be written */
  answer: string | undefined = undefined;
  /** the connection closes after this answer */
  closeAfter = false;

  constructor(
    readonly app: HttpApp,
    private readonly conn: FastConnection,
  ) {}

  respond(status: number, body: string, headers: readonly string[] | undefined): boolean {
    return this.conn.answer(this, status, body, headers);
  }
}

/**
 * One fast-front connection. Pipelined requests are taken together (up to MAX_PIPELINED), so
 * they reach Redis in the same batch as requests of separate connections; their answers are written
 * in request order, one write for all that are ready.
 */
class FastConnection {
  readonly app: HttpApp;
  /** the client half-closed: answer what was taken, then close */
  private ended = false;
  private closed = false;
  private processing = false;
  /** a request with Connection: close was taken: what follows is ignored (RFC 9112 9.6) */
  private lastTaken = false;
  private waitingDrain = false;
  private unread: Buffer | undefined = undefined;
  /** taken requests whose answers are not written yet, oldest first from `first` */
  private readonly queue: FastExchange[] = [];
  private first = 0;
  /** answered exchanges, reused */
  private readonly spare: FastExchange[] = [];
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

  /** requests taken whose answers are not written yet */
  get busy(): boolean {
    return this.queue.length > this.first;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.unread = this.unread === undefined ? chunk : Buffer.concat([this.unread, chunk]);
    // The client sends faster than its requests are answered: stop reading until they are.
    if (this.unread.length > MAX_BUFFERED) this.socket.pause();
    if (!this.processing) this.process();
  };

  /** Take requests from the unread bytes while there is room, until none is left or a hand-off. */
  private process(): void {
    this.processing = true;
    while (!this.closed && !this.lastTaken && this.unread !== undefined && this.queue.length - this.first < MAX_PIPELINED) {
      if (this.socket.writableNeedDrain) {
        // The client does not read its answers: stop reading until it catches up (resumeIfRoom).
        this.socket.pause();
        break;
      }
      const buf = this.unread;
      const end = parseFastRequest(buf, 0, this.app.bodyLimit, this.req);
      if (end < 0 || this.app.draining) {
        // Incomplete: the rest may come while answers are in flight. Not ours (or draining: node:http
        // answers 503 and closes): node:http takes over once every answer taken here is written.
        if (this.busy) break;
        this.closed = true;
        this.unread = undefined;
        this.front.forget(this);
        this.front.handOff(this.socket, buf);
        return;
      }
      this.unread = end === buf.length ? undefined : buf.subarray(end);
      const x = this.spare.pop() ?? new FastExchange(this.app, this);
      x.open = true;
      x.clientClose = this.lastTaken = this.req.close;
      x.startedAt = performance.now();
      this.queue.push(x);
      if (this.req.kind === 'healthz') this.app.healthzTo(x);
      else this.app.issueText(x, buf.toString('utf8', this.req.bodyStart, this.req.bodyEnd));
    }
    this.processing = false;
    if (this.ended && !this.busy) this.close();
    else this.resumeIfRoom();
  }

  /** Read again once the unread bytes are few and the client reads its answers. */
  private resumeIfRoom(): void {
    if (this.closed || !this.socket.isPaused()) return;
    if (this.socket.writableNeedDrain) {
      if (!this.waitingDrain) {
        this.waitingDrain = true;
        this.socket.once('drain', this.onDrain);
      }
    } else if (this.unread === undefined || this.unread.length <= MAX_BUFFERED) this.socket.resume();
  }

  /** An exchange's answer: written now when every earlier one is out, else when they are. */
  answer(x: FastExchange, status: number, body: string, headers: readonly string[] | undefined): boolean {
    if (!x.open || this.closed) return false;
    x.open = false;
    // Draining: the last answer in flight closes the connection.
    let close = x.clientClose || (this.app.draining && this.queue.length - this.first === 1);
    let extra = '';
    if (headers !== undefined) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const name = headers[i]!;
        const value = headers[i + 1]!;
        if (name.toLowerCase() === 'connection') close ||= value.toLowerCase() === 'close';
        else extra += `${name}: ${value}\r\n`;
      }
    }
    const text =
      statusLine(status) + String(Buffer.byteLength(body)) + '\r\n' + dateHeader() + extra + (close ? 'Connection: close\r\n\r\n' : this.front.keepAliveLine) + body;
    x.closeAfter = close;
    x.answer = text;
    if (x === this.queue[this.first]) this.flush();
    return true;
  }

  /** Write the answers ready at the head of the queue, in one write. */
  private flush(): void {
    let out = '';
    let close = false;
    while (this.first < this.queue.length) {
      const x = this.queue[this.first]!;
      if (x.answer === undefined) break;
      out += x.answer;
      x.answer = undefined;
      this.first++;
      this.spare.push(x);
      if (x.closeAfter) {
        close = true;
        break;
      }
    }
    if (this.first === this.queue.length) {
      this.queue.length = 0;
      this.first = 0;
    }
    this.socket.write(out);
    if (close) this.close();
    else if (this.processing) return;
    else if (this.unread !== undefined) queueMicrotask(() => this.process());
    else if (this.ended && !this.busy) this.close();
    else this.resumeIfRoom();
  }

  /** End the connection after what was written (its unread bytes and unanswered requests are dropped). */
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
    this.waitingDrain = false;
    if (!this.closed) this.process();
  };

  private readonly onEnd = (): void => {
    // The client half-closed: answer what was taken (and what is still unread), then close.
    this.ended = true;
    if (!this.busy && !this.processing) this.process();
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
