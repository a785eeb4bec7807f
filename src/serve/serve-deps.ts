import type { Logger } from '../log.js';
import type { ThreadlineMetrics } from '../ops/metrics.js';
import type { InboundSink } from '../runner/platform-adapter.js';
import type { HistoryStore } from '../store/types.js';
import type { TurnActivity } from './turn-activity.js';

/** What the API's routes work with. They never touch a runner or a model: turns go through the inbox. */
export interface ServeDeps {
  store: HistoryStore;
  activity: TurnActivity;
  /** The HTTP channel's inbox sink (the runner's intake). */
  inbox: () => InboundSink;
  /** The model the agent answers with, listed by /v1/models. */
  model: string;
  logger: Logger;
  /** Longest wait between two looks at a followed turn when no notification comes (ms). */
  followPollMs: number;
  /** Aborts when the process shuts down: open streams end (clients resume them on another process). */
  closing: AbortSignal;
  /** What /metrics shows, HTTP requests included. */
  metrics: ThreadlineMetrics;
}
