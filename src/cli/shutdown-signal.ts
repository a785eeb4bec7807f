import { CliError } from './cli-error.js';

/** SIGTERM/SIGINT arrived before the process was up (e.g. while it waited for its database): a clean stop, exit 0. */
export class StoppedBeforeStartError extends CliError {
  constructor(signal: NodeJS.Signals) {
    super(`stopped by ${signal} before starting`, 0);
  }
}

/**
 * Runs `fn` with a signal that aborts (reason: StoppedBeforeStartError) on SIGTERM or SIGINT. The handlers are
 * removed when `fn` settles, so whatever runs next installs its own shutdown handling.
 */
export async function abortOnShutdownSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => controller.abort(new StoppedBeforeStartError(signal));
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  }
}
