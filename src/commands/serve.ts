import { Command } from 'commander';
import { withExitCode } from './action.js';

/** `coupon-bench serve`: the issuance server. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the hardened issuance server (HTTP -> Redis Lua -> outbox -> database)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .option('--redis <url>', 'Redis URL; without it a private redis-server is started')
    .option('--db <url>', 'database: sqlite:<path> | postgres://… | mysql://…')
    .option('--prefix <prefix>', 'Redis key prefix', 'cb')
    .option('--admin-token <token>', 'token required on admin routes (required when not bound to loopback)')
    .action(
      withExitCode(async (_opts: Record<string, string | undefined>) => {
        throw new Error('serve: not implemented yet');
      }),
    );
}
