import { Hono } from 'hono';
import type { Logger } from '../log.js';
import { runnerQueues } from '../runner/inbox-queue.js';
import type { PlatformAdapter } from '../runner/platform-adapter.js';
import type { RunnerMetrics } from '../runner/runner-metrics.js';
import { httpMetrics } from './http-metrics.js';
import type { InboxQueueStats, InboxStore, StoreAdmin } from '../store/types.js';
import { createMetrics, type ThreadlineMetrics } from './metrics.js';
import { opsRoutes } from './ops-routes.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { promRunnerMetrics } from './prom-runner-metrics.js';

export interface BotProcessOpsOptions {
  port: number;
  host?: string;
  logger: Logger;
}

/**
 * A bot process's ops endpoints (/healthz, /readyz, /metrics; see `opsRoutes`) and the metrics behind them. It
 * starts before the store is open, so /healthz answers while the database is awaited; the process tells it
 * how far it got, and /readyz says ready only while every runner is started, the store answers and every
 * adapter receives.
 */
export class BotProcessOps {
  readonly metrics: ThreadlineMetrics;
  private server?: OpsServer;
  private store?: StoreAdmin & Pick<InboxStore, 'inboxStats'>;
  private readonly adapters: PlatformAdapter[] = [];
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private statsFailing = false;

  private constructor(private readonly logger: Logger) {
    this.metrics = createMetrics({ inboxStats: () => this.inboxStats(), onStatsError: (reason) => this.statsFailed(reason) });
  }

  /** The server is listening once this resolves; the "ops server listening" log line names its port. */
  static async start(options: BotProcessOpsOptions): Promise<BotProcessOps> {
    const ops = new BotProcessOps(options.logger);
    const app = new Hono();
    app.use(httpMetrics(ops.metrics));
    app.route('/', opsRoutes({ registry: ops.metrics.registry, store: () => ops.store, readiness: () => ops.readiness() }));
    const server = await startOpsServer(app, { port: options.port, host: options.host });
    ops.server = server;
    options.logger.info({ host: server.host, port: server.port, url: server.url }, 'ops server listening');
    return ops;
  }

  /** Where the ops server listens. */
  get port(): number | undefined {
    return this.server?.port;
  }

  storeOpened(store: StoreAdmin & Pick<InboxStore, 'inboxStats'>): void {
    this.store = store;
  }

  /**
   * An adapter whose runner is about to start (identified already: its bot id names the queue); returns what that
   * runner reports to, labelled with the runner's queue (`telegram:<bot id>`, …).
   */
  adapterMade(adapter: PlatformAdapter): RunnerMetrics {
    this.adapters.push(adapter);
    return promRunnerMetrics(this.metrics, runnerQueues(adapter).queue);
  }

  /** Every runner started. */
  running(): void {
    this.phase = 'running';
  }

  /** Shutting down: unready from now on, so a load balancer stops sending work here. */
  stopping(): void {
    this.phase = 'stopping';
  }

  async close(): Promise<void> {
    this.phase = 'stopping';
    await this.server?.close();
  }

  private readiness(): string | undefined {
    if (this.phase === 'starting') return 'starting: the bots are not all started yet';
    if (this.phase === 'stopping') return 'shutting down';
    for (const adapter of this.adapters) {
      const reason = adapter.readiness?.();
      // Named by its queue: two bots of one platform in a process are told apart (`telegram:<bot id>: …`).
      if (reason !== undefined) return `${runnerQueues(adapter).queue}: ${reason}`;
    }
    return undefined;
  }

  private async inboxStats(): Promise<InboxQueueStats[]> {
    if (!this.store) throw new Error('the store is not open yet');
    const stats = await this.store.inboxStats();
    this.statsFailing = false;
    return stats;
  }

  /** One warning when the inbox numbers stop coming, not one per scrape. */
  private statsFailed(reason: string): void {
    if (!this.statsFailing) this.logger.warn({ reason }, 'metrics: could not read the inbox numbers; the inbox gauges are left out until they come again');
    this.statsFailing = true;
  }
}
