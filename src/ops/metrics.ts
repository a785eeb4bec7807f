import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { oneLine } from '../core/one-line.js';
import type { InboxQueueStats } from '../store/types.js';

/** Where the inbox gauges take their numbers from, once per scrape (`() => store.inboxStats()`). */
export type InboxStatsSource = () => Promise<InboxQueueStats[]>;

/** Outcomes a queue's turn counter starts at 0 with, so `rate()` sees the first one (others appear when they occur). */
export const TURN_OUTCOMES = ['answered', 'stopped', 'deferred', 'dead'] as const;

/** The longest a scrape waits for the inbox numbers; past it the inbox gauges are left out of that scrape. */
const DEFAULT_STATS_TIMEOUT_MS = 2_000;

export interface ThreadlineMetrics {
  /** This process's own registry (never prom-client's global one): what `/metrics` renders. */
  readonly registry: Registry;
  readonly turns: Counter<'queue' | 'outcome'>;
  readonly turnDuration: Histogram<'queue' | 'outcome'>;
  readonly llmCallDuration: Histogram<'queue' | 'result'>;
  readonly lockWait: Histogram<'queue'>;
  readonly sessionsBusy: Counter<'queue'>;
  readonly deadLetters: Counter<'queue'>;
  readonly sendBudgetWait: Histogram<'queue'>;
  readonly sendPauses: Counter<'queue' | 'limit'>;
  readonly sendsHeldBack: Counter<'queue' | 'kind'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'route'>;
  readonly scrapeErrors: Counter<'source'>;
  /**
   * A queue this process works on: its counters start at 0 and its inbox gauges are always reported (0 when the
   * store has nothing for it), so a quiet worker's series exist from the start.
   */
  trackQueue(queue: string): void;
}

export interface MetricsOptions {
  /** The inbox numbers, read on each scrape; without it the inbox gauges are not reported. */
  inboxStats?: InboxStatsSource;
  /** How long a scrape waits for `inboxStats` (default 2 s). */
  statsTimeoutMs?: number;
  /** Node's process metrics (`process_*`, `nodejs_*`) on the same registry (default true). */
  defaultMetrics?: boolean;
  /** Called with one line when the inbox numbers could not be read (the scrape goes on without them). */
  onStatsError?: (reason: string) => void;
}

/**
 * Every `threadline_*` metric on a registry of its own. The inbox gauges are computed when scraped, from one
 * `inboxStats()` call shared by the three; when it fails (the store away) or is too slow, they are left out of
 * that scrape and `threadline_metrics_scrape_errors_total{source="inbox"}` counts it: the scrape itself succeeds.
 */
export function createMetrics(options: MetricsOptions = {}): ThreadlineMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const queues = new Set<string>();

  const turns = new Counter({
    name: 'threadline_turns_total',
    help: 'Claimed batches of inbox entries by their fate: answered, stopped, deferred (tried again later), dead (given up on)',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  });
  const turnDuration = new Histogram({
    name: 'threadline_turn_duration_seconds',
    help: 'Time from claiming a batch to its fate (model, delivery and commit included)',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const llmCallDuration = new Histogram({
    name: 'threadline_llm_call_duration_seconds',
    help: 'Duration of one model call (streamed to its end), by result: ok or error',
    labelNames: ['queue', 'result'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    registers,
  });
  const lockWait = new Histogram({
    name: 'threadline_session_lock_wait_seconds',
    help: "Time to take a session's lock (with the first history window it loads)",
    labelNames: ['queue'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const sessionsBusy = new Counter({
    name: 'threadline_sessions_busy_total',
    help: 'Sessions with due entries found locked by another worker, and left for later',
    labelNames: ['queue'] as const,
    registers,
  });
  const deadLetters = new Counter({
    name: 'threadline_dead_letters_total',
    help: 'Inbox entries given up on (dead-lettered) by this process',
    labelNames: ['queue'] as const,
    registers,
  });
  const sendBudgetWait = new Histogram({
    name: 'threadline_send_budget_wait_seconds',
    help: "Time a send that must go out waited for its share of the platform's rate limits (0: at once)",
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const sendPauses = new Counter({
    name: 'threadline_send_pauses_total',
    help: 'Sends the platform refused with a time to wait (429): the named send budget paused for every worker',
    labelNames: ['queue', 'limit'] as const,
    registers,
  });
  const sendsHeldBack = new Counter({
    name: 'threadline_sends_held_back_total',
    help: 'Sends held back by their budget: kind="edit", a streaming edit left out; kind="deferred", a message tried again later',
    labelNames: ['queue', 'kind'] as const,
    registers,
  });
  const httpRequests = new Counter({
    name: 'threadline_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpRequestDuration = new Histogram({
    name: 'threadline_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  /** The inbox numbers of the scrape in progress (shared by everything collected in it). */
  let readInbox: (() => Promise<unknown>) | undefined;
  const scrapeErrors = new Counter({
    name: 'threadline_metrics_scrape_errors_total',
    help: 'Scrapes that left metrics out because their source failed (source="inbox": the store did not give its inbox numbers)',
    labelNames: ['source'] as const,
    registers,
    // Waits for this scrape's reads, so a failure is counted in the scrape it spoiled.
    async collect() {
      await readInbox?.();
    },
  });

  if (options.inboxStats) {
    const read = sharedPerScrape(withTimeout(options.inboxStats, options.statsTimeoutMs ?? DEFAULT_STATS_TIMEOUT_MS), (error) => {
      scrapeErrors.inc({ source: 'inbox' });
      options.onStatsError?.(oneLine(error));
    });
    readInbox = read;
    scrapeErrors.inc({ source: 'inbox' }, 0);
    const inboxGauge = (name: string, help: string, value: (stats: InboxQueueStats, now: number) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'] as const,
        registers,
        async collect() {
          // Left out (no samples) unless this scrape's numbers came.
          this.reset();
          const stats = await read();
          if (!stats) return;
          const now = Date.now();
          for (const queue of queues) this.set({ queue }, 0);
          for (const queueStats of stats) this.set({ queue: queueStats.queue }, value(queueStats, now));
        },
      });
    inboxGauge('threadline_inbox_pending', 'Inbox entries pending (waiting or being worked on), per queue, in the whole store', (s) => s.pending);
    inboxGauge(
      'threadline_inbox_oldest_pending_age_seconds',
      'Age of the oldest pending inbox entry, per queue (0 when none is pending)',
      (s, now) => (s.pending > 0 && s.oldestPendingAt ? Math.max(0, (now - s.oldestPendingAt.getTime()) / 1000) : 0),
    );
    inboxGauge('threadline_inbox_dead', 'Inbox entries given up on (dead), per queue, in the whole store', (s) => s.dead);
  }

  return {
    registry,
    turns,
    turnDuration,
    llmCallDuration,
    lockWait,
    sessionsBusy,
    deadLetters,
    sendBudgetWait,
    sendPauses,
    sendsHeldBack,
    httpRequests,
    httpRequestDuration,
    scrapeErrors,
    trackQueue(queue) {
      if (queues.has(queue)) return;
      queues.add(queue);
      for (const outcome of TURN_OUTCOMES) turns.inc({ queue, outcome }, 0);
      sessionsBusy.inc({ queue }, 0);
      deadLetters.inc({ queue }, 0);
      for (const kind of ['edit', 'deferred'] as const) sendsHeldBack.inc({ queue, kind }, 0);
    },
  };
}

/** `source` bounded by `timeoutMs`: a store that hangs must not hold the scrape. */
function withTimeout<T>(source: () => Promise<T>, timeoutMs: number): () => Promise<T> {
  return () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // Also a source that throws instead of rejecting is a failed read, not a failed scrape.
    return Promise.race([new Promise<T>((resolve) => resolve(source())), timeout]).finally(() => clearTimeout(timer));
  };
}

/**
 * One `source` call for all the gauges of a scrape: the registry collects them concurrently, so callers that come
 * while a call is in flight share it. Resolves undefined (after `onError`, once) when the call failed.
 */
function sharedPerScrape<T>(source: () => Promise<T>, onError: (error: unknown) => void): () => Promise<T | undefined> {
  let inFlight: Promise<T | undefined> | undefined;
  return () => {
    inFlight ??= source()
      .catch((error: unknown) => {
        onError(error);
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
