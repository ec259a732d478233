import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/load/ledger-reader.js';
import { runScenario } from '../../src/run/run-scenario.js';
import type { Scenario } from '../../src/model/scenario.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A service in another dialect: user 1 gets 201 with a nested id, user 2 a 409, user 3 a 202
 * (queued), user 4 a 503, user 5 a 418 nobody described; the rest 410.
 */
function answer(user: number): [number, string] {
  if (user === 1) return [201, JSON.stringify({ data: { claimId: `CLM_${user}` } })];
  if (user === 2) return [409, JSON.stringify({ error: { code: 'ALREADY_CLAIMED', claimId: 'CLM_old' } })];
  if (user === 3) return [202, '{"queued":true}'];
  if (user === 4) return [503, '{"error":"busy"}'];
  if (user === 5) return [418, 'teapot'];
  return [410, '{"error":{"code":"SOLD_OUT"}}'];
}

describe('the engine speaks a dialect (lean and undici clients, in-process)', () => {
  const seen: Seen[] = [];
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const [status, text] = answer(Number(req.headers['x-member-id']));
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const scenario: Scenario = {
    name: 'dialect',
    executor: 'shared-iterations',
    vus: 1,
    iterations: 6,
    users: { type: 'sequential', start: 1 },
    templates: [{ id: 9, stock: 1 }],
    request: {
      method: 'PUT',
      path: '/v1/campaigns/{templateId}/claims?src=cb',
      headers: { 'X-Member-Id': '{userId}', Authorization: 'Bearer {env.TOKEN}', 'Idempotency-Key': 'k-{requestId}' },
      body: { memberId: '{userId}', note: 'é {templateId}' },
    },
    answers: [
      { status: 201, outcome: 'issued', couponId: '/data/claimId' },
      { status: 409, body: { '/error/code': 'ALREADY_CLAIMED' }, outcome: 'duplicate', couponId: '/error/claimId' },
      { status: 410, outcome: 'sold_out' },
      { status: 202, outcome: 'accepted' },
    ],
  };

  for (const client of ['lean', 'undici'] as const) {
    it(`${client}: sends the request as written and reads the answers by the rules`, async () => {
      seen.length = 0;
      const outDir = mkdtempSync(join(tmpdir(), 'cb-dialect-engine-'));
      const r = await runScenario({ scenario: { ...scenario, target: url }, outDir, httpClient: client, env: { TOKEN: 'tk' } });
      expect(seen).toHaveLength(6);
      for (const s of seen) {
        const user = Number(s.headers['x-member-id']);
        expect(s.method).toBe('PUT');
        expect(s.url).toBe('/v1/campaigns/9/claims?src=cb');
        expect(s.headers.authorization).toBe('Bearer tk');
        expect(s.headers['content-type']).toBe('application/json');
        expect(JSON.parse(s.body)).toEqual({ memberId: user, note: 'é 9' });
      }
      // {requestId} differs on every request
      expect(new Set(seen.map((s) => s.headers['idempotency-key'])).size).toBe(6);
      expect(r.report.outcomes).toEqual({ issued: 1, sold_out: 1, duplicate: 1, not_found: 0, rejected: 1, unknown: 2 });
      expect(r.report.unmatched).toEqual({ count: 2, samples: expect.arrayContaining([{ status: 503, body: '{"error":"busy"}' }, { status: 418, body: 'teapot' }]) as unknown });
      const ledger = [];
      for await (const l of readLedger(r.ledgerPath)) ledger.push(l);
      const byUser = new Map(ledger.map((l) => [l.u, l]));
      expect(byUser.get(1)).toMatchObject({ o: 'issued', st: 201, c: 'CLM_1' });
      expect(byUser.get(2)).toMatchObject({ o: 'duplicate', st: 409, c: 'CLM_old' });
      expect(byUser.get(3)).toMatchObject({ o: 'unknown', st: 202, err: 'ACCEPTED' });
      expect(byUser.get(4)).toMatchObject({ o: 'unknown', st: 503, err: 'UNMATCHED_503' });
      expect(byUser.get(5)).toMatchObject({ o: 'rejected', st: 418, err: 'UNMATCHED_418' });
      expect(r.report.harness.valid).toBe(true);
    });
  }
});
