import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { ChatModel } from '../core/llm/chat-model.js';
import { TurnEngine } from '../core/turn-engine.js';
import { DEFAULT_WINDOW } from '../core/agent.js';
import type { Logger } from '../log.js';
import { BotRunner } from '../runner/bot-runner.js';
import { InvalidInputError } from '../store/errors.js';
import type { HistoryStore } from '../store/types.js';
import { createMetrics } from '../ops/metrics.js';
import { promRunnerMetrics } from '../ops/prom-runner-metrics.js';
import { HTTP_QUEUE, HttpChannel } from './http-channel.js';
import { createServeApp, type ServeLimits } from './serve-app.js';
import { TurnActivity } from './turn-activity.js';
import { TurnEventReply } from './turn-event-reply.js';

export interface ServeOptions {
  store: HistoryStore;
  model: ChatModel;
  logger: Logger;
  name: string;
  instructions: string;
  host: string;
  /** 0: any free port (the bound one is in the result). */
  port: number;
  limits: ServeLimits;
  /** Turns this process runs at once (of any session). */
  concurrency: number;
  maxAttempts: number;
  llmRetryWindowMs: number;
  /** Deltas are written to the turn log at most this often (ms). */
  flushMs?: number;
  /** Longest wait between two looks at a followed turn without a notification (ms). */
  followPollMs?: number;
}

/** Another process listens there already (another serve?). */
export class PortInUseError extends InvalidInputError {
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is in use (another threadline serve?): pick another with --port, or 0 for any free one`);
  }
}

export interface RunningServe {
  url: string;
  port: number;
  /** Stop taking requests, end open streams, let turns in flight finish, then stop. The store stays open. */
  close(): Promise<void>;
}

/**
 * One `serve` process: the HTTP API, and a runner working the `http` inbox queue. Every process on a database
 * takes requests and runs turns; a request's turn may run on any of them, and its events reach the client from
 * the store, so a load balancer may send each request anywhere.
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const { store, logger } = options;
  const engine = new TurnEngine({ name: options.name, instructions: options.instructions, model: options.model, window: DEFAULT_WINDOW });
  const channel = new HttpChannel();
  const flushMs = options.flushMs ?? 25;
  const metrics = createMetrics({
    inboxStats: () => store.inboxStats(),
    onStatsError: (reason) => logger.warn({ reason }, 'metrics: could not read the inbox numbers; the inbox gauges are left out of this scrape'),
  });
  const runner = new BotRunner({
    metrics: promRunnerMetrics(metrics, HTTP_QUEUE),
    store,
    engine,
    adapter: channel,
    logger,
    commands: false,
    followed: true,
    replies: (chat, batch) => new TurnEventReply(chat, batch[0], { flushMs }),
    concurrency: options.concurrency,
    maxAttempts: options.maxAttempts,
    llmRetryWindowMs: options.llmRetryWindowMs,
  });
  const activity = new TurnActivity();
  await activity.start(store);
  await runner.start();
  const closing = new AbortController();
  const app = createServeApp(
    { store, activity, inbox: () => channel.sink, model: options.model.model, logger, followPollMs: options.followPollMs ?? 1_000, closing: closing.signal, metrics },
    options.limits,
  );
  let server!: ServerType;
  let address: AddressInfo;
  try {
    address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await runner.stop();
    await activity.stop();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.host, options.port);
    throw error;
  }
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url }, 'serve listening');
  return {
    url,
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closing.abort();
      // Open streams end with the abort; whatever is idle goes now.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      await runner.stop();
      await activity.stop();
      await closed;
    },
  };
}
