import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { startClosingServer } from '../fixtures/closing-server.js';
import { runCli } from '../helpers/cli.js';

const REQUESTS = 600;
const CONNECTIONS = 32;

describe('against a server that closes the connection after every answer (HTTP/1.0)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-closing-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it(`run reconnects for every request: 0 unknown over ${REQUESTS}, one connection set-up each; autocannon on the same server for comparison`, async () => {
    // The comparison: autocannon 9 against its own instance of the same server. It writes the
    // next request on a connection the server is closing, so part of its requests never get an
    // answer, and it reports no error for them (its `errors`/`timeouts` stay 0).
    const reference = await startClosingServer(50);
    let ac: autocannon.Result;
    let referenceServed = 0;
    try {
      ac = await autocannon({
        url: `${reference.url}/api/coupons/issue`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":1,"templateId":1}',
        connections: CONNECTIONS,
        amount: REQUESTS,
        timeout: 10,
      });
      referenceServed = reference.served();
    } finally {
      await reference.close();
    }
    const acAnswered = ac['2xx'] + ac.non2xx;
    expect(acAnswered).toBeGreaterThan(0);
    expect(acAnswered).toBeLessThanOrEqual(referenceServed);

    const server = await startClosingServer(50);
    try {
      const scenario = join(cwd, 'closing.json');
      writeFileSync(
        scenario,
        JSON.stringify({ name: 'closing', target: server.url, executor: 'shared-iterations', vus: CONNECTIONS, iterations: REQUESTS, duration: '30s', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 50 }] }),
      );
      const run = await runCli(['run', scenario, '--out', 'out'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as RunReport;
      expect(report.metrics.http_reqs.count).toBe(REQUESTS);
      expect(report.outcomes.unknown).toBe(0);
      expect(report.outcomes.issued).toBe(50);
      expect(report.outcomes.sold_out).toBe(REQUESTS - 50);
      // Every answer the client recorded is one the server gave, each on its own connection (and
      // one more: the template probe before the load, GET /api/templates/1).
      expect(server.served()).toBe(REQUESTS + 1);
      expect(report.metrics.http_connections?.count).toBeGreaterThanOrEqual(REQUESTS);
      // (the server also accepted the run's reachability probe and its template probe before the load)
      expect(server.accepted() - (report.metrics.http_connections?.count ?? 0)).toBe(2);
      expect(report.metrics.http_connections?.failed).toBe(0);
      expect(run.stdout).toMatch(/http_connections\.+: \d+ opened, 0 failed/);
      // Same server, same load: coupon-bench has an answer for every request; autocannon at most as many.
      expect(REQUESTS - report.outcomes.unknown).toBeGreaterThanOrEqual(acAnswered);
      console.log(`closing server, ${REQUESTS} requests on ${CONNECTIONS} connections: coupon-bench answered ${REQUESTS - report.outcomes.unknown} (0 unknown, ${report.metrics.http_connections?.count} connections); autocannon answered ${acAnswered} of the ${referenceServed} its server served (errors ${ac.errors}, timeouts ${ac.timeouts})`);
    } finally {
      await server.close();
    }
  }, 60_000);
});
