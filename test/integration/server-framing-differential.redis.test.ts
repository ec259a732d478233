import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { httpAnswers } from '../helpers/http-answers.js';
import { FRAMING_CORPUS, type CaseContext, type FramingCase } from './framing-corpus.js';
import { call, rawExchange, startHarness, type Harness } from './server-harness.js';

/** What one connection of a case showed: answers, whether the server closed it, coupons issued. */
interface Outcome {
  answers: string[];
  closed: boolean;
  issued: number;
  /** 200 answers that carry a coupon */
  coupons: number;
}

const FIRST_TEMPLATE = 1000;
/** how long a connection is watched; every case that leaves its connection open is judged "open" */
const WINDOW_MS = 2500;
const BATCH = 12;

function context(templateId: number, firstUser: number): CaseContext {
  let next = firstUser;
  const c: CaseContext = {
    templateId,
    user: () => next++,
    body: () => JSON.stringify({ userId: next++, templateId }),
    post: (headers = '', body = c.body()) =>
      `POST /api/coupons/issue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    chunked: (headers = '') => {
      const body = c.body();
      return (
        `POST /api/coupons/issue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}Transfer-Encoding: chunked\r\n\r\n` +
        `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`
      );
    },
  };
  return c;
}

type Seen = Omit<Outcome, 'issued'>;

async function run(h: Harness, k: FramingCase, index: number): Promise<Seen> {
  // The same users on both fronts (each front has its own prefix, so its own coupons).
  const steps = k.steps(context(FIRST_TEMPLATE + index, 1 + index * 10_000));
  const r = await rawExchange(h.server.port, steps, WINDOW_MS);
  let parsed: ReturnType<typeof httpAnswers>;
  try {
    parsed = httpAnswers(r.text);
  } catch (err) {
    return { answers: [`unparsable: ${(err as Error).message}`], closed: r.closed, coupons: 0 };
  }
  const code = (body: string): string => {
    try {
      return String((JSON.parse(body) as { code?: unknown }).code ?? '');
    } catch {
      return '';
    }
  };
  return {
    answers: parsed.map((a) => `${a.status}${code(a.body) ? ` ${code(a.body)}` : ''}`),
    closed: r.closed,
    coupons: parsed.filter((a) => a.status === 200 && a.body.includes('"couponId"')).length,
  };
}

/** Wait until the server has no issue request waiting on Redis (bounded). */
async function settled(h: Harness): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const hz = await call(h.pool, 'GET', '/healthz');
    if (hz.body.inFlight === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('issue requests still in flight after 10 s');
}

describe('serve: the fast front and node:http frame a corpus of requests the same way', () => {
  const fronts: Record<'fast' | 'node', Harness | undefined> = { fast: undefined, node: undefined };
  const outcomes = new Map<string, Record<'fast' | 'node', Outcome>>();

  beforeAll(async () => {
    // Short header and request timeouts: incomplete requests end within the watch window.
    const over = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 10_000 };
    for (const front of ['fast', 'node'] as const) {
      const h = (fronts[front] = await startHarness({ ...over, httpFront: front }, `diff-${front}`));
      for (let i = 0; i < FRAMING_CORPUS.length; i++) await createTemplate(h.server.url, FIRST_TEMPLATE + i, 1_000_000);
    }
    const both = [fronts.fast!, fronts.node!] as const;
    for (let from = 0; from < FRAMING_CORPUS.length; from += BATCH) {
      const batch = FRAMING_CORPUS.slice(from, from + BATCH);
      const seen: Seen[][] = await Promise.all(batch.map((k, j) => Promise.all(both.map((h) => run(h, k, from + j)))));
      await Promise.all(both.map(settled));
      for (let j = 0; j < batch.length; j++) {
        const issued = await Promise.all(both.map(async (h) => Number((await h.redis.get(templateKeys(h.prefix, FIRST_TEMPLATE + from + j).seq)) ?? 0)));
        const [fast, node] = seen[j]! as [Seen, Seen];
        outcomes.set(batch[j]!.name, { fast: { ...fast, issued: issued[0]! }, node: { ...node, issued: issued[1]! } });
      }
    }
  }, 180_000);
  afterAll(async () => {
    await fronts.fast?.close();
    await fronts.node?.close();
  });

  it('has at least 60 cases, each with its own name', () => {
    expect(FRAMING_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(FRAMING_CORPUS.map((k) => k.name)).size).toBe(FRAMING_CORPUS.length);
  });

  it.each(FRAMING_CORPUS.map((k) => [k.name]))('%s: same answers, connection state and issued count', (name) => {
    const o = outcomes.get(name)!;
    expect(o.fast, JSON.stringify(o)).toEqual(o.node);
    // Every coupon issued was answered with it: never a refusal (or silence) for an issued coupon.
    expect(o.fast.coupons, JSON.stringify(o)).toBe(o.fast.issued);
  });

  it('the corpus exercises both fronts: issues, refusals, kept-alive and closed connections', () => {
    const all = [...outcomes.values()].map((o) => o.fast);
    expect(all.filter((o) => o.issued > 0).length).toBeGreaterThan(20);
    expect(all.filter((o) => o.answers.some((a) => a.startsWith('400'))).length).toBeGreaterThan(20);
    expect(all.filter((o) => o.closed).length).toBeGreaterThan(10);
    expect(all.filter((o) => !o.closed).length).toBeGreaterThan(5);
    // the pending-answer cases: the answer first, then the parse error, nothing in place of it
    expect(outcomes.get('chunked, then bytes that are no request (pending answer first)')!.fast).toMatchObject({
      answers: ['200', '400 MALFORMED_REQUEST'],
      closed: true,
      issued: 1,
    });
    expect(outcomes.get('Connection: keep-alive, close, then a second request')!.fast).toMatchObject({ answers: ['200'], closed: true, issued: 1 });
    expect(outcomes.get('600 pipelined (over 64 KiB), then one more')!.fast).toMatchObject({ closed: true, issued: 601, coupons: 601 });
  });
});
