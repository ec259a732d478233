import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CouponBenchError, MissingDependencyError, UsageError } from '../errors.js';
import { freePort, hasRedisServer, redisInstallHint } from './managed-redis.js';

/** One master of a {@link LocalCluster}. */
export interface LocalClusterNode {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number | undefined;
  /** SIGKILL this node's process (fault); resolves when it exited. */
  kill(): Promise<void>;
}

/** A Redis Cluster of redis-server processes this process started and owns. */
export interface LocalCluster {
  /** redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  readonly url: string;
  readonly nodes: readonly LocalClusterNode[];
  /** Stop every node (SIGTERM, then SIGKILL after 3 s) and remove the temporary folder. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions {
  /** Number of masters, no replicas (default 3). */
  readonly masters?: number;
  /** cluster-node-timeout in ms (default 1000). */
  readonly nodeTimeoutMs?: number;
  /** redis-server binary; `redis-server` from PATH by default. */
  readonly binary?: string;
  /** The cluster must be ready within this many ms (default 15000). */
  readonly timeoutMs?: number;
}

const SLOTS = 16384;

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

/** Signal a child and resolve once it exited; SIGKILL it after `graceMs` if it is still there. */
function stopChild(c: ChildProcess, signal: NodeJS.Signals, graceMs = 3000): Promise<void> {
  if (exited(c)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    c.kill(signal);
  });
}

/** Ports for the clients and the cluster buses, all distinct (a bus port of client port + 10000 may not exist). */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/**
 * Start a Redis Cluster of `masters` redis-server processes on loopback (no replicas), slots split
 * into contiguous ranges, and wait until every node sees the whole cluster healthy. On failure
 * every started process is killed, the folder removed, and E_REDIS_CLUSTER_START thrown.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const { masters = 3, nodeTimeoutMs = 1000, binary = 'redis-server', timeoutMs = 15_000 } = opts;
  if (!Number.isInteger(masters) || masters < 1 || masters > SLOTS) throw new UsageError(`masters must be an integer in 1..${SLOTS}, got ${masters}`);
  if (!hasRedisServer(binary)) throw new MissingDependencyError(redisInstallHint('to start a local Redis Cluster'));
  const deadline = Date.now() + timeoutMs;
  const root = mkdtempSync(join(tmpdir(), 'coupon-bench-cluster-'));
  const all = await distinctPorts(2 * masters);
  const ports = all.slice(0, masters);
  const busPorts = all.slice(masters);
  const children: ChildProcess[] = [];
  const killAll = (): void => void children.forEach((c) => c.kill('SIGKILL'));
  const conns: Redis[] = [];
  const fail = (what: string, cause?: unknown): CouponBenchError =>
    new CouponBenchError('E_REDIS_CLUSTER_START', `local Redis Cluster of ${masters} masters: ${what}`, undefined, { cause });
  try {
    ports.forEach((port, i) => {
      const dir = join(root, `n-${port}`);
      mkdirSync(dir);
      // --cluster-port: the default bus port (port + 10000) may be taken or above 65535.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(busPorts[i]),
        '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs), '--dir', dir, '--save', '',
        '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
      const child = spawn(binary, args, { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      children.push(child);
      const conn = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
      conn.on('error', () => undefined);
      conns.push(conn);
    });
    process.once('exit', killAll);
    const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      for (;;) {
        const dead = children.findIndex(exited);
        if (dead >= 0) {
          let log = '';
          try {
            log = readFileSync(join(root, `n-${ports[dead]}`, 'redis.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
          } catch { /* no log */ }
          throw fail(`redis-server on port ${ports[dead]} exited (code ${children[dead]!.exitCode}) before ${what}${log ? `: ${log}` : ''}`);
        }
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw fail(`${what} was not reached within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until('every node answered PING', async () => (await Promise.all(conns.map((c) => c.ping()))).every((r) => r === 'PONG'));
    try {
      await Promise.all(conns.map((c, i) => c.call('CLUSTER', 'ADDSLOTSRANGE', Math.floor((i * SLOTS) / masters), Math.floor(((i + 1) * SLOTS) / masters) - 1)));
      for (let i = 1; i < masters; i++) await conns[0]!.call('CLUSTER', 'MEET', '127.0.0.1', ports[i]!, busPorts[i]!);
    } catch (err) {
      throw fail(`setup command failed: ${(err as Error).message}`, err);
    }
    await until(`cluster_state:ok, cluster_known_nodes:${masters} and ${SLOTS} slots covered on every node`, async () => {
      const healthy = await Promise.all(conns.map(async (c) => {
        const info = String(await c.call('CLUSTER', 'INFO'));
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, ...unknown[]][];
        const covered = ranges.reduce((n, [start, end]) => n + end - start + 1, 0);
        return info.includes('cluster_state:ok') && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info) && covered === SLOTS;
      }));
      return healthy.every(Boolean);
    });
  } catch (err) {
    killAll();
    process.removeListener('exit', killAll);
    await Promise.all(children.map((c) => stopChild(c, 'SIGKILL')));
    rmSync(root, { recursive: true, force: true });
    throw err instanceof CouponBenchError ? err : fail(String(err), err);
  } finally {
    conns.forEach((c) => c.disconnect());
  }
  const nodes = ports.map((port, i): LocalClusterNode => ({
    host: '127.0.0.1',
    port,
    pid: children[i]!.pid,
    kill: () => stopChild(children[i]!, 'SIGKILL'),
  }));
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes,
    async stop() {
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM')));
      process.removeListener('exit', killAll);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
