import type { Logger } from '../../src/log.js';
import type { Lease, LeaseProvider } from '../../src/runner/lease-provider.js';

/**
 * How often a worker tries to take one more shard. Discord lets a bot identify one shard per 5 s (per
 * `max_concurrency` bucket), so taking one shard per pass never trips that limit; it also lets workers that
 * start together share the shards instead of the first one taking them all.
 */
export const SHARD_CLAIM_INTERVAL_MS = 5_000;

/** Disconnects a shard this worker serves. */
export type Disconnect = () => Promise<void>;

export interface ShardClaimerOptions {
  leases: LeaseProvider;
  shardCount: number;
  /** The lease that makes a worker the one connection of a shard. */
  leaseName: (shard: number) => string;
  /** Connect the shard; rejects if it cannot (the lease is then released and the shard tried again later). */
  connect: (shard: number) => Promise<Disconnect>;
  logger: Logger;
  claimIntervalMs?: number;
}

/**
 * Splits a bot's gateway shards between workers. Discord delivers each shard's events to one connection, so a
 * worker connects only the shards whose lease it holds (a Postgres advisory lock on its own connection, which
 * Postgres releases when the worker dies). Every interval it tries to take one unclaimed shard; a shard whose
 * lease is lost is disconnected at once, since another worker may already be connecting it.
 */
export class ShardClaimer {
  private readonly held = new Map<number, { lease: Lease; disconnect: Disconnect }>();
  private stopped = false;
  private standingBy = false;
  private timer?: NodeJS.Timeout;
  private wake: () => void = () => {};
  private loop?: Promise<void>;

  constructor(private readonly options: ShardClaimerOptions) {}

  /** Takes a first shard if one is free, then keeps claiming in the background. */
  async start(): Promise<void> {
    const first = this.claimOne();
    // stop() awaits the loop, so it includes the first claim: a shard connected while stopping is dropped too.
    this.loop = first.then(() => this.claimLoop());
    await first;
  }

  /** True while every shard is served by another worker and this one waits to take one over. */
  get waitingForAShard(): boolean {
    return this.standingBy && this.held.size === 0;
  }

  /** Shard ids this worker serves now, ascending. */
  shards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake();
    await this.loop;
    await Promise.all([...this.held.entries()].map(([shard, held]) => this.drop(shard, held.lease)));
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.claimIntervalMs ?? SHARD_CLAIM_INTERVAL_MS);
      });
      if (!this.stopped) await this.claimOne();
    }
  }

  private async claimOne(): Promise<void> {
    const { shardCount, logger } = this.options;
    for (let shard = 0; shard < shardCount && !this.stopped; shard++) {
      if (this.held.has(shard)) continue;
      const lease = await this.options.leases.tryAcquireLease(this.options.leaseName(shard)).catch((error: unknown) => {
        logger.warn({ err: error, shard }, 'could not ask the database who serves a Discord shard; trying again shortly');
        return null;
      });
      if (!lease) continue;
      try {
        const disconnect = await this.options.connect(shard);
        this.held.set(shard, { lease, disconnect });
        void lease.lost.then(() => {
          if (this.held.get(shard)?.lease !== lease) return;
          logger.warn({ shard }, 'lost the database lease of a Discord shard: disconnecting it so another worker can serve it');
          return this.drop(shard, lease);
        });
        this.standingBy = false;
        logger.info({ shard, shardCount, serving: this.shards() }, 'serving Discord shard');
      } catch (error) {
        await lease.release();
        logger.error({ err: error, shard }, 'could not connect a Discord shard; trying again shortly');
      }
      return;
    }
    if (this.held.size === 0 && !this.standingBy && !this.stopped) {
      this.standingBy = true;
      logger.info({ shardCount }, 'every Discord shard is served by another worker: standing by to take over');
    }
  }

  private async drop(shard: number, lease: Lease): Promise<void> {
    const held = this.held.get(shard);
    if (held?.lease !== lease) return;
    this.held.delete(shard);
    await held.disconnect().catch((error: unknown) => this.options.logger.warn({ err: error, shard }, 'Discord shard did not disconnect cleanly'));
    await lease.release();
  }
}
