import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny in-memory coupon service with the contract's HTTP API, for load-generator tests. */
export interface StandIn {
  url: string;
  /** issue requests received */
  received: number;
  /** receive times (performance.now() ms) of issue requests */
  times: number[];
  /** user ids seen, in order */
  users: number[];
  issued: Map<string, number>;
  /** respond with this status (e.g. 503) instead of issuing */
  failWith?: number;
  /** delay every answer by this many ms */
  delayMs: number;
  close(): Promise<void>;
}

/** Start the stand-in on 127.0.0.1 (free port). */
export async function startStandIn(stocks: Record<number, number> = { 1: 10 }): Promise<StandIn> {
  const stock = new Map<number, number>(Object.entries(stocks).map(([k, v]) => [Number(k), v]));
  const seq = new Map<number, number>();
  const state: Omit<StandIn, 'url' | 'close'> = { received: 0, times: [], users: [], issued: new Map(), delayMs: 0 };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    const go = (): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (state.delayMs > 0) setTimeout(go, state.delayMs);
    else go();
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true });
      const admin = /^\/api\/admin\/templates\/(\d+)$/.exec(req.url ?? '');
      if (req.method === 'PUT' && admin) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { stock: number };
        stock.set(Number(admin[1]), body.stock);
        return send(res, 201, { templateId: Number(admin[1]), stock: body.stock });
      }
      if (req.method !== 'POST' || req.url !== '/api/coupons/issue') return send(res, 404, { code: 'NOT_FOUND', message: 'no route', status: 404 });
      state.received++;
      state.times.push(performance.now());
      const { userId, templateId } = JSON.parse(Buffer.concat(chunks).toString()) as { userId: number; templateId: number };
      state.users.push(userId);
      if (state.failWith) return send(res, state.failWith, { code: 'SERVICE_UNAVAILABLE', message: 'down', status: state.failWith });
      const limit = stock.get(templateId);
      if (limit === undefined) return send(res, 404, { code: 'COUPON_TEMPLATE_NOT_FOUND', message: 'no template', status: 404 });
      const key = `${templateId}:${userId}`;
      const had = state.issued.get(key);
      if (had !== undefined) return send(res, 400, { code: 'COUPON_ALREADY_ISSUED', message: 'dup', status: 400, couponId: `${templateId}-${had}` });
      const n = seq.get(templateId) ?? 0;
      if (n >= limit) return send(res, 400, { code: 'COUPON_OUT_OF_STOCK', message: 'sold out', status: 400 });
      seq.set(templateId, n + 1);
      state.issued.set(key, n + 1);
      return send(res, 200, { couponId: `${templateId}-${n + 1}`, userId, templateId, seq: n + 1, issuedAt: Date.now() });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  }) as StandIn;
}
