import { IterationSource } from '../iteration-source.js';
import type { ExecContext, ExecResult } from './types.js';

/**
 * Burst: open `requests` connections first (a GET on each), then release one request per
 * connection in a single synchronous loop, all with the same intended time. Reports the spread
 * between the first and the last send.
 */
export async function runBurst(ctx: ExecContext, requests: number, warmupPath: string): Promise<ExecResult> {
  const { engine, recorder } = ctx;
  const warm = await engine.warmup(requests, warmupPath);
  const src = new IterationSource(ctx.scenario, ctx.seed, ctx.worker.index, ctx.worker.count);
  const tpl = new Array<number>(requests);
  const users = new Array<number>(requests);
  for (let i = 0; i < requests; i++) {
    src.next();
    tpl[i] = src.templateId;
    users[i] = src.userId;
    engine.payload(src.templateId, src.userId); // pre-build every request before the release
  }
  return new Promise<ExecResult>((resolve) => {
    let pending = requests;
    const t0 = performance.now();
    const done = (): void => {
      if (--pending === 0) {
        recorder.vus(0);
        resolve({ startedAt: t0, endedAt: performance.now(), planned: requests, burst: { requests, sendSpreadUs }, warmupErrors: warm.errors });
      }
    };
    recorder.start(t0);
    recorder.vus(requests);
    const first = performance.now();
    for (let i = 0; i < requests; i++) engine.fire(i, tpl[i] as number, users[i] as number, first, done);
    const sendSpreadUs = Math.round((performance.now() - first) * 1000);
  });
}
