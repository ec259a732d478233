import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Client, Dispatcher, buildConnector } from 'undici';
import { LeanConnection, newConnectStats, type ConnectStats } from './lean-connection.js';
import { connectHost } from '../url-host.js';
import { OUTCOME_INDEX, classifyResponse } from '../model/outcome.js';
import type { Recorder } from './recorder.js';
import { bufferNumberField, bufferStringField } from './body-extract.js';
import { compileRequest, type CompiledRequest, type EnvMap } from '../dialect/request-template.js';
import type { AnswerMatcher } from '../dialect/answer-matcher.js';
import type { DialectRequest } from '../dialect/types.js';
import { IssueHandler } from './issue-handler.js';

const require = createRequire(import.meta.url);
let undici: typeof import('undici') | undefined;
/** undici, loaded on first use: the lean client (the default) never needs it, and loading it takes longer than a refused run. */
const loadUndici = (): typeof import('undici') => (undici ??= require('undici') as typeof import('undici'));

/** Options of {@link Engine}. */
export interface EngineOptions {
  /** origin, e.g. http://127.0.0.1:8080 */
  origin: string;
  /** issue endpoint path */
  path: string;
  /** per-request timeout (headers and body), ms */
  timeoutMs: number;
  recorder: Recorder;
  /** how many pre-built bodies to keep; 0 when ids never repeat (default 100,000) */
  bodyCacheMax?: number;
  /**
   * Closed model (VUs): a request's latency starts when it goes out on a connected socket, as k6's
   * http_req_duration does; a VU's connection set-up is counted as http_req_connecting instead.
   * Open models measure from the intended send time, so the set-up stays in the corrected latency.
   */
  closedModel?: boolean;
  /**
   * HTTP client: `lean` (default for http://; {@link LeanConnection}, one write per request and
   * the answer framed in place) or `undici` (a keep-alive undici Client per slot through
   * dispatch(); always used for https://)
   */
  client?: 'lean' | 'undici';
  /** a foreign service's request (default: the bundled contract's JSON body on `path`) */
  request?: DialectRequest;
  /** environment for the request's `{env.NAME}` placeholders (default process.env) */
  env?: EnvMap;
  /** a foreign service's answers (default: the bundled contract's statuses and codes) */
  answers?: AnswerMatcher;
}

const HEADERS = ['content-type', 'application/json'];
/** Pre-built bodies are cached for this many (template, user) pairs; beyond it they are built per request. */
const BODY_CACHE_MAX = 100_000;

/** The JSON body of an issue request. */
const bodyText = (templateId: number, userId: number): string => `{"userId":${userId},"templateId":${templateId}}`;

/**
 * The HTTP engine: one keep-alive connection per VU slot (one request at a time, like a k6 VU):
 * a {@link LeanConnection} by default, or an undici Client driven through `dispatch()` with a
 * plain handler object (the lowest-overhead API undici has; used for https:// and on request).
 * It never prints; every answer goes to the Recorder.
 */
export class Engine {
  private readonly clients: Client[] = [];
  private readonly lean: LeanConnection[] = [];
  private readonly handlers: IssueHandler[] = [];
  private readonly useLean: boolean;
  private readonly host: string;
  private readonly port: number;
  /** host:port as the Host header says it */
  private readonly hostHeader: string;
  /** request head up to the Content-Length value (lean client) */
  private readonly head: string;
  private readonly bodies = new Map<number, Map<number, Buffer>>();
  private cached = 0;
  private readonly cacheMax: number;
  /** requests dispatched and not yet answered */
  inFlight = 0;
  /** the most requests in flight at once since {@link takePeakInFlight} last read it */
  private peakInFlight = 0;
  /** the in-flight request of each slot, for the timeout sweep */
  private readonly active: Array<IssueHandler | undefined> = [];
  private sweeper: NodeJS.Timeout | undefined;
  /** undici's open sockets, and the bytes of the ones already closed (lean connections count their own) */
  private readonly undiciSockets = new Set<Socket>();
  private readonly undiciClosed = { sent: 0, received: 0 };
  /** connection set-ups of every slot (lean connections count theirs; undici's sockets are counted as they open) */
  private readonly connects: ConnectStats = newConnectStats();
  /** undici's own connector (one per engine), wrapped by every Client to see its sockets */
  private connector: ReturnType<typeof buildConnector> | undefined;
  /** dispatch options, reused: undici copies what it needs when it builds its Request */
  private readonly req: Dispatcher.DispatchOptions & { body: Buffer | string };
  /** a dialect's request, compiled once; undefined for the bundled contract */
  private readonly compiled: CompiledRequest | undefined;
  /** the next `{requestId}` (unique per request: microseconds at the start, then counted) */
  private requestId = Date.now() * 1000;

  constructor(private readonly opts: EngineOptions) {
    const url = new URL(opts.origin);
    this.compiled = opts.request ? compileRequest(opts.request, url.host, opts.env) : undefined;
    // A request that carries its own id is never sent twice: nothing to cache.
    this.cacheMax = this.compiled?.perRequest === true ? 0 : (opts.bodyCacheMax ?? BODY_CACHE_MAX);
    this.req = { origin: opts.origin, method: 'POST', path: opts.path, headers: HEADERS, body: '' };
    this.useLean = url.protocol === 'http:' && opts.client !== 'undici';
    this.host = connectHost(url);
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    this.head = `POST ${opts.path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: `;
  }

  /** Which HTTP client sends the requests. */
  get clientKind(): 'lean' | 'undici' {
    return this.useLean ? 'lean' : 'undici';
  }

  /** The lean connection of slot `i`, created (not yet connected) on first use. */
  private conn(i: number): LeanConnection {
    let c = this.lean[i];
    if (!c) {
      c = new LeanConnection(this.host, this.port, Math.min(this.opts.timeoutMs, 10_000), this.connects);
      this.lean[i] = c;
    }
    return c;
  }

  /** The Client for slot `i`, created (not yet connected) on first use. */
  client(i: number): Client {
    let c = this.clients[i];
    if (!c) {
      const connector = (this.connector ??= loadUndici().buildConnector({ timeout: Math.min(this.opts.timeoutMs, 10_000) }));
      c = new (loadUndici().Client)(this.opts.origin, {
        pipelining: 1,
        // undici's own connector, wrapped to see each socket: its byte counts are data_sent/received
        connect: (o, cb) =>
          connector(o, (...args) => {
            if (args[1]) this.trackSocket(args[1]);
            cb(...args);
          }),
        // undici would arm and refresh a timer per request; one sweep over the slots does the same
        // job for all requests (see sweep()) at a fraction of the cost, and more precisely.
        headersTimeout: 0,
        bodyTimeout: 0,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
      });
      this.clients[i] = c;
    }
    return c;
  }

  private trackSocket(s: Socket): void {
    this.connects.opened++;
    this.undiciSockets.add(s);
    s.once('close', () => {
      this.undiciClosed.sent += s.bytesWritten;
      this.undiciClosed.received += s.bytesRead;
      this.undiciSockets.delete(s);
    });
  }

  /**
   * Bytes sent and received on every connection so far, request heads and bodies included (k6's
   * data_sent / data_received), and the connection set-ups: how many worked, and the failed
   * attempts by error code (a refused connect is retried, not counted as an answer).
   */
  traffic(): { sent: number; received: number; connections: number; connectErrors: Record<string, number> } {
    let sent = this.undiciClosed.sent;
    let received = this.undiciClosed.received;
    for (const s of this.undiciSockets) {
      sent += s.bytesWritten;
      received += s.bytesRead;
    }
    for (const c of this.lean) {
      if (c === undefined) continue;
      sent += c.sent;
      received += c.received;
    }
    return { sent, received, connections: this.connects.opened, connectErrors: { ...this.connects.failed } };
  }

  get slots(): number {
    return this.useLean ? this.lean.length : this.clients.length;
  }

  /** What is sent for (template, user): the body (undici) or the whole request (lean client). */
  private build(templateId: number, userId: number): string {
    if (this.compiled) return this.compiled.wire(templateId, userId, this.requestId++);
    const body = bodyText(templateId, userId);
    return this.useLean ? `${this.head}${body.length}\r\n\r\n${body}` : body;
  }

  /**
   * The request payload for (template, user), pre-built and cached while the cache has room: the
   * JSON body for undici, the whole request (head and body) for the lean client.
   */
  payload(templateId: number, userId: number): Buffer | string {
    // No cache (ids never repeat): skip the two map lookups per request.
    if (this.cacheMax === 0) return this.build(templateId, userId);
    let perTpl = this.bodies.get(templateId);
    if (!perTpl) {
      perTpl = new Map();
      this.bodies.set(templateId, perTpl);
    }
    const hit = perTpl.get(userId);
    if (hit) return hit;
    const text = this.build(templateId, userId);
    if (this.cached >= this.cacheMax) return text;
    const buf = Buffer.from(text, 'latin1');
    perTpl.set(userId, buf);
    this.cached++;
    return buf;
  }

  /**
   * Send one issue request on slot `slot`. `intended` is when it should have been sent
   * (performance.now() ms; equals the send time in closed models). `done` runs after recording.
   * `now`, when the caller just read the clock, saves reading it again.
   */
  fire(slot: number, templateId: number, userId: number, intended: number, done: (slot: number) => void, now?: number): void {
    // The lean client keeps no reference to an answered handler, so each slot reuses one.
    let h = this.useLean ? this.handlers[slot] : undefined;
    if (h !== undefined && h.idle) h.reset(templateId, userId, intended, done);
    else {
      h = new IssueHandler(this, slot, templateId, userId, intended, done);
      if (this.useLean) this.handlers[slot] = h;
    }
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    this.active[slot] = h;
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(250, this.opts.timeoutMs / 4)));
    const t = (h.sent = h.dispatched = now ?? performance.now());
    if (this.useLean) {
      this.conn(slot).dispatch(this.payload(templateId, userId), h, t);
      return;
    }
    const req = this.req;
    if (this.compiled) {
      const p = this.compiled.parts(templateId, userId, this.requestId++);
      req.method = this.compiled.method as Dispatcher.HttpMethod;
      req.path = p.path;
      req.headers = p.headers;
      req.body = p.body;
    } else req.body = this.payload(templateId, userId);
    this.client(slot).dispatch(req, h);
  }

  /** Issue a GET on every slot in [0, n) so the connections are open before a burst. */
  async warmup(n: number, path: string): Promise<{ ok: number; errors: string[] }> {
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        this.useLean
          ? this.leanGet(i, path)
          : this.client(i)
              .request({ method: 'GET', path, headersTimeout: this.opts.timeoutMs, bodyTimeout: this.opts.timeoutMs })
              .then(async (r) => {
                await r.body.dump();
                return undefined;
              })
              .catch((err: Error & { code?: string }) => err.code ?? err.message),
      ),
    );
    const errors = results.filter((r): r is string => r !== undefined);
    return { ok: n - errors.length, errors };
  }

  /** A GET on lean slot `i` (warm-up); resolves with an error code, or undefined when answered. */
  private leanGet(i: number, path: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.lean[i]?.destroy(), this.opts.timeoutMs);
      const settle = (v: string | undefined): void => {
        clearTimeout(timer);
        resolve(v);
      };
      this.conn(i).dispatch(`GET ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n\r\n`, {
        onConnect: () => undefined,
        onHeaders: () => true,
        onData: () => true,
        onComplete: () => settle(undefined),
        onError: (err: Error & { code?: string }) => settle(err.code ?? err.message),
      }, performance.now());
    });
  }

  /** Abort requests older than the timeout: they become `unknown` (REQUEST_TIMEOUT). */
  private sweep(): void {
    const limit = performance.now() - this.opts.timeoutMs;
    for (const h of this.active) {
      if (h === undefined || h.dispatched >= limit) continue;
      const c = this.useLean ? this.lean[h.slot] : undefined;
      // A lean connection drops the request (and its socket) itself, also before it was sent.
      if (c) h.timeout((err) => c.cancel(err));
      else h.timeout();
    }
  }

  /** The most requests in flight at once since the last call (a sample that lands between answers would read 0). */
  takePeakInFlight(): number {
    const peak = this.peakInFlight;
    this.peakInFlight = this.inFlight;
    return peak;
  }

  /** @internal called by handlers */
  complete(h: IssueHandler, status: number, body: Buffer | undefined, err: string | undefined): void {
    const end = performance.now();
    this.inFlight--;
    if (this.active[h.slot] === h) this.active[h.slot] = undefined;
    let code: string | undefined;
    let couponId: string | undefined;
    let seq: number | undefined;
    if (this.opts.answers) {
      this.completeDialect(h, status, body, err, end);
      return;
    }
    // Parse only what is needed: the class needs `code` of a 4xx; coupon id and seq only matter
    // when the ledger keeps this response or a listener asked for every response.
    if (body !== undefined && status >= 400 && status < 500) code = bufferStringField(body, 'code');
    const outcome = classifyResponse(status, code);
    if (body !== undefined && (status === 200 || status === 201 || status === 400 || status === 409) && this.opts.recorder.wantsDetails(OUTCOME_INDEX[outcome])) {
      couponId = bufferStringField(body, 'couponId');
      seq = bufferNumberField(body, 'seq');
    }
    if (outcome === 'unknown' && err === undefined) err = status >= 500 ? `HTTP_${status}` : status === 0 ? 'NO_ANSWER' : `HTTP_${status}`;
    const recorder = this.opts.recorder;
    recorder.connecting(h.sent - h.dispatched);
    recorder.record(outcome, status, h.templateId, h.userId, this.opts.closedModel === true ? h.sent : h.intended, h.sent, end, couponId, seq, err);
    // An error can be raised synchronously inside dispatch(); defer so VU loops never recurse.
    if (status === 0) setImmediate(h.done, h.slot);
    else h.done(h.slot);
  }

  /** {@link complete} for a dialect's answers: the first matching rule decides. */
  private completeDialect(h: IssueHandler, status: number, body: Buffer | undefined, err: string | undefined, end: number): void {
    const m = (this.opts.answers as AnswerMatcher).match(status, body);
    if (m.err !== undefined) err = m.err;
    else if (m.outcome === 'unknown' && err === undefined) err = status >= 500 ? `HTTP_${status}` : status === 0 ? 'NO_ANSWER' : `HTTP_${status}`;
    const recorder = this.opts.recorder;
    recorder.connecting(h.sent - h.dispatched);
    recorder.record(m.outcome, status, h.templateId, h.userId, this.opts.closedModel === true ? h.sent : h.intended, h.sent, end, m.couponId, undefined, err);
    if (status === 0) setImmediate(h.done, h.slot);
    else h.done(h.slot);
  }

  /** Whether 5xx bodies are kept (a dialect's rules may read them, and unmatched samples show them). */
  get keeps5xxBodies(): boolean {
    return this.opts.answers !== undefined;
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Close every connection (waits for in-flight requests). */
  async close(): Promise<void> {
    this.stopSweeper();
    await Promise.all([...this.clients.map((c) => c.close().catch(() => c.destroy())), ...this.lean.map((c) => c.close())]);
  }

  /** Drop every connection now. */
  async destroy(): Promise<void> {
    this.stopSweeper();
    for (const c of this.lean) c.destroy();
    await Promise.all(this.clients.map((c) => c.destroy().catch(() => undefined)));
  }
}
