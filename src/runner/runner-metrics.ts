/**
 * What the runner reports about its work, for metrics. The runner knows nothing of Prometheus: the ops side
 * (src/ops/prom-runner-metrics.ts) implements this for one inbox queue. Every call is cheap and never throws.
 */
export interface RunnerMetrics {
  /**
   * A claimed batch reached its fate (the runner's `turn <outcome>` log line): `answered`, `stopped`, `deferred`
   * or `dead`. `entries` is how many inbox entries the batch held (a dead batch dead-letters them all).
   */
  turnEnded(outcome: string, seconds: number, entries: number): void;
  /** One call to the model ended, answered (`ok`) or failed; calls cut short by /stop or shutdown are not reported. */
  llmCall(seconds: number, ok: boolean): void;
  /** How long taking a session's lock took (with the first window it loads). */
  lockWait(seconds: number): void;
  /** A session with due entries was found held by another worker (its lock taken), and left for later. */
  sessionBusy(): void;
  /**
   * A send that must go out (a reply's final text, a command's answer) took its send budget after waiting this long
   * (0 when the budget had room at once). Sends the adapter does not pace are not reported.
   */
  sendBudgetWait(seconds: number): void;
  /** A platform refused a send and named how long to wait (a 429): the budget `limit` is paused for every worker. */
  sendPaused(limit: string): void;
  /**
   * A send was held back by its budget: an `edit` of a streaming reply left out (the final text still goes), or a
   * must-send `deferred` to a later attempt because its budget had no room in time (the message stays pending).
   */
  sendHeldBack(kind: 'edit' | 'deferred'): void;
}

/** The default: reports go nowhere. */
export const NO_RUNNER_METRICS: RunnerMetrics = {
  turnEnded() {},
  llmCall() {},
  lockWait() {},
  sessionBusy() {},
  sendBudgetWait() {},
  sendPaused() {},
  sendHeldBack() {},
};

/** Seconds since `began` (a `performance.now()` reading). */
export function secondsSince(began: number): number {
  return (performance.now() - began) / 1000;
}

/**
 * `call`, reported as one model call: its duration, and whether it answered. A call aborted by `signal` (/stop,
 * shutdown) is neither, and is not reported.
 */
export async function timedLlmCall<T>(metrics: RunnerMetrics | undefined, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  const began = performance.now();
  try {
    const result = await call();
    metrics?.llmCall(secondsSince(began), true);
    return result;
  } catch (error) {
    if (!signal.aborted) metrics?.llmCall(secondsSince(began), false);
    throw error;
  }
}
