import type { RedisClient } from '../redis/client.js';
import { openStore } from '../store/open-store.js';
import type { PersisterHandle } from '../store/persister-options.js';
import { startPersister } from '../store/persister.js';
import { RetryingStore } from '../store/retrying-store.js';
import type { CouponStore } from '../store/store.js';
import type { ServeOptions } from './serve-options.js';
import { watchRestores, type RestoreWatch } from './template-restore.js';

/** The server's side of the database: the store, the template restore watch and the outbox persister. */
export interface ServerStores {
  store: CouponStore;
  restores: RestoreWatch;
  /** undefined with `persister: false` */
  persister: PersisterHandle | undefined;
}

/**
 * Open the store, restore the templates Redis lost (the first pass is done when this resolves),
 * then start the outbox persister. Each piece pushes its stop onto `cleanups` once it exists.
 */
export async function startServerStores(
  opts: ServeOptions,
  redis: RedisClient,
  redisUrl: string,
  cleanups: (() => Promise<void>)[],
): Promise<ServerStores> {
  // Set once the restore watch below exists: a database that opens late gets its pass then.
  const late: { onDbOpen?: () => void } = {};
  const store = opts.waitForDb
    ? await RetryingStore.open(opts.dbUrl, {
        onState: (state, detail) => {
          opts.onDbState?.(state, detail);
          if (state === 'open') late.onDbOpen?.();
        },
      })
    : await openStore(opts.dbUrl);
  cleanups.push(() => store.close());

  // Templates the database knows but Redis lost (an empty Redis in front of an old database) are
  // rebuilt before the first request, and again after every reconnect (see template-restore.ts).
  let persister: PersisterHandle | undefined;
  const closing = { now: false };
  const restores = watchRestores(redis, store, opts.prefix, {
    ...(opts.onRestore ? { onResult: opts.onRestore } : {}),
    onError: (err) => opts.onRestoreError?.(err),
    deferUnreachable: opts.waitForDb === true,
    // The first pass runs before the persister starts; later ones wait for its batch in hand.
    fence: () => (persister ? persisterIdle(persister, closing) : Promise.resolve()),
  });
  cleanups.push(async () => {
    closing.now = true;
    restores.stop();
  });
  late.onDbOpen = () => restores.rerun();
  await restores.first;

  if (opts.persister !== false) {
    persister = await startPersister({
      ...opts.persisterOptions,
      ...(opts.waitForDb ? { waitForDb: true } : {}),
      redisUrl,
      dbUrl: opts.dbUrl,
      prefix: opts.prefix,
    });
    const p = persister;
    cleanups.push(() => p.stop());
  }
  return { store, restores, persister };
}

/**
 * Resolves once the persister reports, in figures taken after this call, that it holds no batch
 * (nothing read from the outbox is still on its way to the database), or once the server closes.
 */
async function persisterIdle(p: PersisterHandle, closing: { now: boolean }): Promise<void> {
  const since = Date.now();
  while (!closing.now) {
    const s = p.stats();
    if ((s.at ?? 0) > since && s.busy !== true) return;
    await sleep(20);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
