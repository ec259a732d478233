import type { Command } from 'commander';

/**
 * The flags that read another team's stores, shared by `verify`, `run --verify` and `chaos`, so a
 * foreign service is audited the same way after a run as on its own.
 */
export function addForeignStoreOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db-query <sql>',
      "another team's SQL for one template (:template, $1 or ?), its columns named user_id, coupon_id (an opaque id) and optionally seq and issued_at",
    )
    .option('--redis-stock-key <key>', "another team's Redis key holding the stock limit ({template} = id)")
    .option('--redis-remaining-key <key>', "another team's Redis counter of the stock left, which goes down per issue: the limit is remaining + issued ({template} = id)")
    .option('--redis-users-key <key>', "another team's Redis SET or HASH of the users holding a coupon (members or fields are user ids; {template} = id)");
}

