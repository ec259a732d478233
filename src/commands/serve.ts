import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { CouponBenchError, UsageError } from '../errors.js';
import type { RunningServer, ServeOptions } from '../server/serve-options.js';
import { redactUrl } from '../shared/redact-url.js';
import { withExitCode } from './action.js';

interface ServeFlags {
  host: string;
  port: string;
  redis?: string;
  redisDir?: string;
  db?: string;
  prefix: string;
  adminToken?: string;
  persister: boolean;
  issueClient: string;
  httpFront: string;
  soldOutSnapshot: boolean;
  waitForDb?: boolean;
  workers: string;
  consumer?: string;
}

/** The options of `serve`, in the order help lists them. */
function addServeOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', '8080')
    .option('--redis <url>', 'Redis URL: redis://, rediss://, or redis+cluster://host:port,host:port for a Redis Cluster; without it a private redis-server is started')
    .option(
      '--redis-dir <path>',
      "data folder of the private redis-server, kept across restarts (default: <file>.redis beside a SQLite --db; else a temporary folder)",
    )
    .option('--db <url>', 'database: sqlite:<path> | postgres://… | mysql://… (default sqlite:./coupon-bench.sqlite)')
    .option('--prefix <prefix>', 'Redis key prefix', 'cb')
    .option('--admin-token <token>', 'token required on admin routes (required when not bound to loopback)')
    .option('--no-persister', 'do not run the outbox persister in this process')
    .option('--issue-client <kind>', 'Redis client of the issue hot path: pipeline | ioredis', 'pipeline')
    .option('--http-front <kind>', 'HTTP front of the issue route: fast | node (node:http for every request)', 'fast')
    .option('--no-sold-out-snapshot', 'send every issue request to Redis, even for a sold-out template')
    .option('--workers <n>', 'server processes sharing the port, the Redis and the database (node:cluster; one persister consumer each)', '1')
    .option('--consumer <name>', "the persister's consumer name in the outbox group (default host-pid-random): a server restarted under the same name takes over at once what the old one had read but not acknowledged")
    .option('--wait-for-db', 'start even when the database is unreachable: issue from Redis, persist once it answers');
}

/** What the flags checked on their own (before any import) came to. */
interface CheckedServe {
  port: number;
  workers: number;
  issueClient: 'pipeline' | 'ioredis';
  httpFront: 'fast' | 'node';
}

/** The flags that can be checked on their own, in the order their errors are reported. */
function checkServeFlags(flags: ServeFlags): CheckedServe {
  const port = Number(flags.port);
  if (flags.issueClient !== 'pipeline' && flags.issueClient !== 'ioredis') {
    throw new UsageError(`--issue-client: "${flags.issueClient}" must be pipeline or ioredis`, 'E_USAGE');
  }
  if (flags.httpFront !== 'fast' && flags.httpFront !== 'node') {
    throw new UsageError(`--http-front: "${flags.httpFront}" must be fast or node`, 'E_USAGE');
  }
  if (!/^\d+$/.test(flags.port) || port > 65535) throw new UsageError(`--port: "${flags.port}" is not a port number`, 'E_BAD_PORT');
  if (flags.redisDir !== undefined && flags.redis !== undefined) {
    throw new UsageError('--redis-dir is the private redis-server\'s folder: it cannot go with --redis', 'E_USAGE');
  }
  const workers = Number(flags.workers);
  if (!/^\d+$/.test(flags.workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: "${flags.workers}" must be a whole number from 1 to 64`, 'E_USAGE');
  return { port, workers, issueClient: flags.issueClient, httpFront: flags.httpFront };
}

/**
 * The private Redis's data folder: --redis-dir, or beside a SQLite file (a restart after a crash
 * then replays what Redis had issued but the database did not hold yet); undefined for a temporary one.
 */
function redisDirOf(flags: ServeFlags, sqlitePath: string | undefined): string | undefined {
  const redisDir = flags.redisDir ?? (flags.redis === undefined && sqlitePath && sqlitePath !== ':memory:' ? `${sqlitePath}.redis` : undefined);
  // The folder beside a database file that is gone (deleted to start afresh) holds that
  // database's Redis: replayed in front of a new, empty one it would answer for coupons no
  // table holds.
  if (flags.redisDir === undefined && redisDir !== undefined && sqlitePath !== undefined && !existsSync(sqlitePath) && existsSync(redisDir)) {
    throw new UsageError(
      `${redisDir} holds the Redis data of a database that is gone (${sqlitePath} does not exist): remove that folder to start afresh`,
      'E_STALE_REDIS_DIR',
    );
  }
  return redisDir;
}

/** --consumer names one persister consumer: a valid name, and one process only. */
function checkConsumer(consumer: string | undefined, workers: number): void {
  if (consumer !== undefined && !/^[\w.:-]{1,100}$/.test(consumer)) throw new UsageError(`--consumer: "${consumer}" must be 1-100 letters, digits, or . _ : -`, 'E_USAGE');
  if (consumer !== undefined && workers > 1) throw new UsageError('--consumer names one process: it cannot go with --workers (each worker takes a name of its own)', 'E_USAGE');
}

/** `serve --workers n`: the command line every worker runs, the shared Redis instead of a private one of its own. */
function workerArgs(flags: ServeFlags, dbUrl: string): string[] {
  const args = ['serve', '--host', flags.host, '--port', flags.port, '--db', dbUrl, '--prefix', flags.prefix, '--issue-client', flags.issueClient, '--http-front', flags.httpFront];
  if (!flags.persister) args.push('--no-persister');
  if (!flags.soldOutSnapshot) args.push('--no-sold-out-snapshot');
  if (flags.waitForDb) args.push('--wait-for-db');
  if (flags.adminToken !== undefined) args.push('--admin-token', flags.adminToken);
  return args;
}

/** The server's options from the flags, with the lines it prints as the database and templates come back. */
function serveOptionsOf(flags: ServeFlags, checked: CheckedServe, dbUrl: string, redisDir: string | undefined): ServeOptions {
  return {
    host: flags.host,
    port: checked.port,
    redisUrl: flags.redis,
    ...(redisDir !== undefined ? { redisDir } : {}),
    dbUrl,
    prefix: flags.prefix,
    adminToken: flags.adminToken ?? process.env.COUPON_BENCH_ADMIN_TOKEN,
    persister: flags.persister,
    ...(flags.consumer !== undefined ? { persisterOptions: { consumer: flags.consumer } } : {}),
    issueClient: checked.issueClient,
    httpFront: checked.httpFront,
    soldOutSnapshot: flags.soldOutSnapshot,
    waitForDb: flags.waitForDb === true,
    onDbState: (state, detail) =>
      process.stdout.write(
        state === 'waiting'
          ? `  db not usable yet (${detail}): issuing anyway; coupons wait in the outbox until it answers\n`
          : `  db: open now (${detail}); the persister catches up\n`,
      ),
    onRestore: (r) =>
      process.stdout.write(
        r.outcome === 'restored'
          ? `  template ${r.templateId}: rebuilt in Redis from the database (${r.persisted} coupon${r.persisted === 1 ? "" : "s"}; issuing resumes after seq ${r.issued})\n`
          : `  warning: template ${r.templateId}: Redis held fewer coupons than the database (${r.persisted}): it lost writes; the missing holders are back, issuing resumes after seq ${r.issued}\n`,
      ),
    onRestoreError: (err) => process.stderr.write(`  warning: could not check templates against the database: ${err instanceof Error ? err.message : String(err)}\n`),
  };
}

/** Where the server listens and what it uses; a worker of serve --workers says only that it is ready (the primary prints the banner). */
function printBanner(out: NodeJS.WriteStream, server: RunningServer, workerNo: string | undefined): void {
  if (workerNo !== undefined) {
    out.write(`  worker ${workerNo} (pid ${process.pid}) ready\n`);
    return;
  }
  out.write(`coupon-bench serve listening on ${server.url}\n`);
  out.write(
    server.managedRedis
      ? `  redis: private redis-server at ${server.redisUrl} (stopped when serve stops; ${server.redisDir ? `data kept in ${server.redisDir}` : 'data in a temporary folder'})\n`
      : `  redis: ${redactUrl(server.redisUrl)}\n`,
  );
  out.write(`  db:    ${server.dbUrl}\n  prefix: ${server.prefix}\n`);
  out.write(`  issue: curl -s -XPOST ${server.url}/api/coupons/issue -H 'content-type: application/json' -d '{"userId":1,"templateId":1}'\n`);
}

/** The signal that stops the server: SIGTERM, SIGINT, or (a chaos run's child) its run's channel closing. */
function stopSignal(workerNo: string | undefined): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    // Started by a chaos run with an IPC channel: a run that dies (even SIGKILLed) leaves
    // no server behind; its channel closing is the sign.
    if (process.env['COUPON_BENCH_FAULT_HOOKS'] === '1' && workerNo === undefined && process.channel) {
      process.channel.unref(); // the server keeps this process alive, not the channel
      process.once('disconnect', () => resolve('SIGTERM'));
    }
  });
}

/** The action of `serve`: check the flags, start the server (or its workers), serve until a signal; returns the exit code. */
async function serveAction(flags: ServeFlags): Promise<number> {
  const checked = checkServeFlags(flags);
  const { workers } = checked;
  const [{ startServer }, { DEFAULT_DB_URL }, { sqlitePathOf }] = await Promise.all([
    import('../server/start-server.js'),
    import('../store/open-store.js'),
    import('../store/db-url.js'),
  ]);
  const dbUrl = flags.db ?? DEFAULT_DB_URL;
  const redisDir = redisDirOf(flags, sqlitePathOf(dbUrl));
  checkConsumer(flags.consumer, workers);
  if (workers > 1) {
    const { runServeWorkers } = await import('../server/serve-workers.js');
    return runServeWorkers({ workers, args: workerArgs(flags, dbUrl), redisUrl: flags.redis, redisDir, host: flags.host, db: redactUrl(dbUrl), prefix: flags.prefix, out: process.stdout });
  }
  const server = await startServer(serveOptionsOf(flags, checked, dbUrl, redisDir)).catch((err: unknown) => {
    // Say how to start anyway, in the one line the CLI prints.
    if (err instanceof CouponBenchError && err.code === 'E_DB_UNREACHABLE' && flags.waitForDb !== true) {
      throw new CouponBenchError(err.code, `${err.message} (start anyway with --wait-for-db)`, err.exitCode);
    }
    throw err;
  });
  const out = process.stdout;
  const workerNo = process.env['COUPON_BENCH_SERVE_WORKER'];
  printBanner(out, server, workerNo);
  // Fault injection for the chaos runs that started this process (never set by hand):
  // SIGUSR2 kills the persister worker as a crash would.
  if (process.env['COUPON_BENCH_FAULT_HOOKS'] === '1' && server.killPersister) {
    const kill = server.killPersister;
    process.on('SIGUSR2', () => void kill().then(() => out.write('fault: persister worker killed\n')));
  }
  const signal = await stopSignal(workerNo);
  out.write(`${signal}: draining in-flight requests and stopping\n`);
  await server.stop();
  out.write('stopped\n');
  // A worker of serve --workers: its channel to the primary would keep it alive.
  if (workerNo !== undefined) (await import('node:cluster')).default.worker?.disconnect();
  return 0;
}

/** `coupon-bench serve`: the issuance server. */
export function serveCommand(): Command {
  return addServeOptions(new Command('serve').description('run the hardened issuance server (HTTP -> Redis Lua -> outbox -> database)')).action(
    withExitCode(serveAction),
  );
}
