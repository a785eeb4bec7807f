import type { RunnerMetrics } from '../runner/runner-metrics.js';
import type { ThreadlineMetrics } from './metrics.js';

/** The runner's reports for one inbox queue, as Prometheus metrics (see `createMetrics`). */
export function promRunnerMetrics(metrics: ThreadlineMetrics, queue: string): RunnerMetrics {
  metrics.trackQueue(queue);
  return {
    turnEnded(outcome, seconds, entries) {
      metrics.turns.inc({ queue, outcome });
      metrics.turnDuration.observe({ queue, outcome }, seconds);
      if (outcome === 'dead') metrics.deadLetters.inc({ queue }, entries);
    },
    llmCall(seconds, ok) {
      metrics.llmCallDuration.observe({ queue, result: ok ? 'ok' : 'error' }, seconds);
    },
    lockWait(seconds) {
      metrics.lockWait.observe({ queue }, seconds);
    },
    sessionBusy() {
      metrics.sessionsBusy.inc({ queue });
    },
    sendBudgetWait(seconds) {
      metrics.sendBudgetWait.observe({ queue }, seconds);
    },
    sendPaused(limit) {
      metrics.sendPauses.inc({ queue, limit });
    },
    sendHeldBack(kind) {
      metrics.sendsHeldBack.inc({ queue, kind });
    },
  };
}
