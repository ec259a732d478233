// Benchmark: a herd answered one by one is not sent back as a herd (closed model, think time).
// A stand-in engine answers requests in arrival order, one every --spacing ms at most; every VU
// sleeps --think ms from its own answer. The median gap between later sends should stay near the
// answer spacing (the baseline, measured in the same run); millisecond timers that wake each
// millisecond's VUs together would send them back to back (gaps of a few µs, a ratio near 0).
// Usage: npm run build && node bench/closed-model-spacing.js [--vus 20] [--think 30] [--spacing 0.25] [--rounds 5]
import { parseArgs } from 'node:util';
import { runClosedModel } from '../dist/load/executors/closed-model.js';

const { values } = parseArgs({
  options: {
    vus: { type: 'string', default: '20' },
    think: { type: 'string', default: '30' },
    spacing: { type: 'string', default: '0.25' },
    rounds: { type: 'string', default: '5' },
  },
});
const VUS = Number(values.vus);
const THINK = Number(values.think);
const SPACING = Number(values.spacing);
const scenario = { name: 'spacing', target: 'http://127.0.0.1:1', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 1 }] };

/** A serial stand-in server: answers in arrival order, at most one every `spacingMs`. */
function serialEngine(spacingMs) {
  const sends = [];
  const answers = [];
  const queue = [];
  let last = -Infinity;
  let polling = false;
  const serve = () => {
    polling = false;
    while (queue.length > 0) {
      const now = performance.now();
      if (now < last + spacingMs) break;
      const { vu, done } = queue.shift();
      last = now;
      answers.push(now);
      done(vu);
    }
    if (queue.length > 0 && !polling) {
      polling = true;
      setImmediate(serve);
    }
  };
  const engine = {
    fire(vu, _tpl, _user, _intended, done) {
      sends.push(performance.now());
      queue.push({ vu, done });
      if (!polling) {
        polling = true;
        setImmediate(serve);
      }
    },
  };
  return { engine, sends, answers };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const gaps = (ts) => ts.slice(1).map((t, i) => t - ts[i]);

const ratios = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const { engine, sends, answers } = serialEngine(SPACING);
  const ctx = { scenario, engine, recorder: { start: () => undefined, vus: () => undefined }, seed: 1, worker: { index: 0, count: 1 }, stop: { requested: false } };
  await runClosedModel(ctx, { vusMax: VUS, targetAt: () => VUS, durationMs: 60_000, iterations: VUS * 6, thinkMs: THINK });
  const answerGap = median(gaps(answers));
  const later = sends.filter((t) => t - sends[0] > THINK);
  const sendGap = median(gaps(later));
  ratios.push(sendGap / answerGap);
  console.log(`round ${round + 1}: median answer gap ${answerGap.toFixed(3)} ms, median gap of later sends ${sendGap.toFixed(3)} ms (x${(sendGap / answerGap).toFixed(2)})`);
}
console.log(`median ratio of send gap to answer gap: x${median(ratios).toFixed(2)} (near 1: the herd stays split; near 0: sent back as a herd)`);
