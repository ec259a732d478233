// The benchmarks' baseline server: a bare node:http server that does the issue route's parsing work
// (reads the body, JSON.parse, checks the two ids) and answers a fixed coupon body, with no Redis,
// database or contract checks. What `serve` is compared against; also the floor of what this
// machine allows for a load pattern (bench/run-seed.js --floor).
//
//   node bench/bare-target.js      prints "listening on http://127.0.0.1:<port>"; SIGTERM stops it
import { createServer } from 'node:http';

const body = JSON.stringify({ couponId: '1-1', userId: 1, templateId: 1, seq: 1, issuedAt: new Date(0).toISOString() });
const server = createServer((req, res) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    let ok = false;
    try {
      const v = JSON.parse(data);
      ok = Number.isSafeInteger(v.userId) && Number.isSafeInteger(v.templateId);
    } catch {
      // not JSON: answered 400 below
    }
    res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
