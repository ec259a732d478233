import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { CouponBenchError } from '../errors.js';
import { parseClusterUrl } from '../redis/redis-url.js';
import { splitNodeKey } from '../redis/slot-node.js';
import { IssuePipeline } from './issue-pipeline.js';
import type { IssueChannel, IssueContext, IssueReplyHandler } from './issue-channel.js';

/** Settings of a {@link ClusterIssuePipeline}. */
export interface ClusterIssuePipelineOptions<T> {
  /** redis+cluster://… (its credentials go to every node) */
  readonly url: string;
  /** the server's ioredis Cluster client: its slot map says which master serves a template */
  readonly cluster: Cluster;
  readonly timeoutMs: number;
  readonly onReply: IssueReplyHandler<T>;
}

/** Reply errors that mean the slot map is stale: the script did not run there. */
const STALE_MAP = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)\b/;
/** At most one slot map refresh this often, however many replies ask for one. */
const REFRESH_EVERY_MS = 100;

/**
 * The issue hot path on a Redis Cluster: one {@link IssuePipeline} per master, each issue command
 * sent to the master that serves its template's slot (every key of a template shares its hash
 * tag, so one script call stays on one node). The slot map is the ioredis Cluster client's; a
 * MOVED/ASK/CLUSTERDOWN reply answers 503 (the script did not run) and refreshes the map, so
 * the next request goes to the new owner. A master that is down answers 503 for its templates
 * only; the others go on.
 */
export class ClusterIssuePipeline<T extends IssueContext> implements IssueChannel<T> {
  private readonly nodes = new Map<string, IssuePipeline<T>>();
  /** stock key -> slot (bounded) */
  private readonly slots = new Map<string, number>();
  private readonly credentials: string;
  private lastRefreshAt = 0;
  private closed = false;
  private readonly onReply: IssueReplyHandler<T>;

  constructor(private readonly opts: ClusterIssuePipelineOptions<T>) {
    const addr = parseClusterUrl(opts.url);
    this.credentials =
      addr.password !== undefined ? `${encodeURIComponent(addr.username ?? '')}:${encodeURIComponent(addr.password)}@` : '';
    this.onReply = (ctx, err, code, seq, at) => {
      if (err !== null && STALE_MAP.test(err.message)) this.refreshSoon();
      opts.onReply(ctx, err, code, seq, at);
    };
    opts.cluster.on('refresh', this.dropRemoved);
  }

  /** The masters this channel holds a connection (or a reconnect loop) for, as `host:port`. */
  get masters(): string[] {
    return [...this.nodes.keys()];
  }

  /** `ready` while the cluster client is; per-master trouble is answered per request. */
  get status(): 'connecting' | 'ready' | 'reconnecting' | 'end' {
    if (this.closed) return 'end';
    const s = this.opts.cluster.status;
    return s === 'ready' ? 'ready' : s === 'reconnecting' ? 'reconnecting' : s === 'end' || s === 'close' ? 'end' : 'connecting';
  }

  /** Changes whenever any master's connection was made again (a sold-out snapshot is then stale). */
  get generation(): number {
    let g = this.nodes.size;
    for (const p of this.nodes.values()) g += p.generation;
    return g;
  }

  /** Resolve once every master of the slot map has its connection (or reject after `ms`). */
  async ready(ms: number): Promise<void> {
    const masters = this.mastersInMap();
    if (masters.size === 0) throw new CouponBenchError('E_REDIS_UNREACHABLE', 'the Redis Cluster has no slot map (is it up and are its slots assigned?)');
    await Promise.all([...masters].map((m) => this.pipelineOf(m).ready(ms)));
  }

  issue(ctx: T): void {
    const key = ctx.issueKeys!.stock;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = calculateSlot(key);
      if (this.slots.size < 100_000) this.slots.set(key, slot);
    }
    const master = this.opts.cluster.slots[slot]?.[0];
    if (master === undefined) {
      this.refreshSoon();
      return this.opts.onReply(ctx, new CouponBenchError('E_REDIS_CLUSTER_SLOT', `no Redis Cluster master serves slot ${slot}`), 0, 0, 0);
    }
    const p = this.pipelineOf(master);
    if (p.status !== 'ready') {
      // Perhaps it failed over: a replica may serve the slot now.
      this.refreshSoon();
      return this.opts.onReply(ctx, new CouponBenchError('E_REDIS_UNREACHABLE', `Redis Cluster master ${master} is ${p.status}`), 0, 0, 0);
    }
    p.issue(ctx);
  }

  close(): void {
    this.closed = true;
    this.opts.cluster.removeListener('refresh', this.dropRemoved);
    for (const p of this.nodes.values()) p.close();
    this.nodes.clear();
  }

  /**
   * After a slot map refresh: a master that serves no slot any more and whose connection is down
   * (removed from the cluster, or replaced by its replica) would otherwise reconnect for ever. A
   * down connection has no command waiting (they were answered when it dropped), so closing it
   * answers nothing; one that is up stays (it may still answer commands sent before the move).
   */
  private readonly dropRemoved = (): void => {
    if (this.closed) return;
    const inMap = this.mastersInMap();
    for (const [master, p] of this.nodes) {
      if (inMap.has(master) || p.status === 'ready') continue;
      p.close();
      this.nodes.delete(master);
    }
  };

  private pipelineOf(master: string): IssuePipeline<T> {
    let p = this.nodes.get(master);
    if (p === undefined) {
      const { host, port } = splitNodeKey(master);
      const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      p = new IssuePipeline<T>({ url: `redis://${this.credentials}${at}`, timeoutMs: this.opts.timeoutMs, onReply: this.onReply });
      this.nodes.set(master, p);
    }
    return p;
  }

  /** The masters the slot map names (`host:port`). */
  private mastersInMap(): Set<string> {
    const masters = new Set<string>();
    for (const owners of this.opts.cluster.slots) if (owners?.[0] !== undefined) masters.add(owners[0]);
    return masters;
  }

  private refreshSoon(): void {
    const now = Date.now();
    if (now - this.lastRefreshAt < REFRESH_EVERY_MS) return;
    this.lastRefreshAt = now;
    this.opts.cluster.refreshSlotsCache();
  }
}
