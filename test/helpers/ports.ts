import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../src/redis/managed-redis.js';

/** Ports a block of each vitest worker may hand out (worker n gets the n-th block). */
const BLOCK = 400;
let next = 0;

/** The low end of the kernel's ephemeral range (bind(0) and outgoing connections take ports from there up). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 0;
  }
}

/** Whether 127.0.0.1:port can be bound now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port for a service a test starts that binds it only later (a --target-cmd service
 * sets itself up first). A port from bind(0) is in the ephemeral range, where any other process may be
 * handed the same port meanwhile and answer in the service's place; this one is below that range and
 * in this vitest worker's own block, so no other test and no outgoing connection takes it.
 * Falls back to bind(0) where the range leaves no room below it.
 */
export async function testPort(): Promise<number> {
  const low = ephemeralLow();
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const base = low - BLOCK * (worker + 1);
  if (!(base > 10_000)) return freePort();
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = base + (next++ % BLOCK);
    if (await bindable(port)) return port;
  }
  return freePort();
}
