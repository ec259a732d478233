import { Redis } from 'ioredis';
import { scanUsers } from '../dist/verify/read-redis.js';
import { readLedger } from '../dist/verify/read-ledger.js';
import { openStore } from '../dist/store/open-store.js';
import { readStoreTemplate } from '../dist/verify/read-db.js';
import { INVARIANT_CHECKS } from '../dist/verify/invariants/index.js';
const [url, db, prefix, ledger] = process.argv.slice(2);
let t = process.cpuUsage();
const lap = (l) => { const n = process.cpuUsage(t); console.log(l, ((n.user+n.system)/1000).toFixed(0), 'cpu ms', (process.memoryUsage().rss/1e6).toFixed(0)); t = process.cpuUsage(); };
const r = new Redis(url);
const { users } = await scanUsers(r, `${prefix}:{t1}:users`); lap('hscan');
const store = await openStore(db); const d = await readStoreTemplate(store, 1); lap('db');
const l = await readLedger(ledger); lap('ledger');
const s = { templateId: 1, stock: 1e6, redis: { stock: 1e6, seq: 1e6, users, outbox: { length: 0, pending: 0, groupExists: true, waitedMs: 0 } }, db: d, ledger: l.templates.get(1) };
for (const [n, c] of INVARIANT_CHECKS) { c(s); lap(n); }
r.disconnect();
