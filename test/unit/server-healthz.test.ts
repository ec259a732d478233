// /healthz's answer from the state of the server's two Redis connections: the issue pipeline, and
// ioredis, over which the PING goes. Each reconnects on its own after Redis returns.
import { describe, expect, it } from 'vitest';
import type { AppCore, HttpAppDeps, IssueExchange } from '../../src/server/app-core.js';
import type { ErrorAnswer } from '../../src/server/error-map.js';
import { OpsRoutes } from '../../src/server/ops-routes.js';

interface Seen {
  status: number;
  body: Record<string, unknown>;
  pings: number;
}

/** Ask /healthz of an app whose pipeline and ioredis are in the given states (PING answers at once). */
async function healthz(pipeline: string, ioredis: string): Promise<Seen> {
  const seen: Seen = { status: 0, body: {}, pings: 0 };
  let tracked: Promise<void> = Promise.resolve();
  const redis = {
    status: ioredis,
    ping: () => {
      seen.pings++;
      return Promise.resolve('PONG');
    },
  };
  const deps = { redis, pipeline: { status: pipeline }, healthTimeoutMs: 100 } as unknown as HttpAppDeps;
  const app = {
    deps,
    draining: false,
    inFlight: 0,
    o: { ok: 0 },
    answer: (_route: number, _x: IssueExchange, a: ErrorAnswer) => {
      seen.status = a.status;
      seen.body = { message: a.message, ...a.extra };
    },
    recordAt: () => undefined,
    track: (p: Promise<void>) => (tracked = p),
  } as unknown as AppCore;
  const x = {
    respond: (status: number, body: string) => {
      seen.status = status;
      seen.body = JSON.parse(body) as Record<string, unknown>;
      return true;
    },
  } as unknown as IssueExchange;
  new OpsRoutes(app).healthz(x);
  await tracked;
  return seen;
}

describe('/healthz and the two Redis connections', () => {
  it('both ready and the PING answered: 200', async () => {
    expect(await healthz('ready', 'ready')).toMatchObject({ status: 200, body: { status: 'ok', redis: 'ready' }, pings: 1 });
  });

  it('the issue pipeline not connected: 503 with its state, no PING', async () => {
    expect(await healthz('reconnecting', 'ready')).toMatchObject({ status: 503, body: { redis: 'reconnecting', message: 'Redis is not available (reconnecting)' }, pings: 0 });
  });

  it('the pipeline back before ioredis: 503 with the state of ioredis, not "unresponsive" (no PING could be sent)', async () => {
    for (const state of ['connect', 'reconnecting']) {
      expect(await healthz('ready', state)).toMatchObject({ status: 503, body: { redis: state, message: `Redis is not available (${state})` }, pings: 0 });
    }
  });
});
