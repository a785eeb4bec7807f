import pRetry from 'p-retry';
import type { Logger } from '../../src/log.js';

/** What the log lines about a recording name: enough to find the event, nothing of its text. */
export interface RecordingSubject {
  platform: string;
  chatId?: string;
  eventId?: string;
}

export interface RecordInboundOptions {
  logger: Logger;
  stopping: () => boolean;
  /**
   * The failures worth waiting out; any other is thrown at once, for the caller to report (default: every
   * failure, for platforms with nobody to tell).
   */
  retryIf?: (error: unknown) => boolean;
  /** Hears of each failed attempt that is retried (default: a warning in the log). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Hand an event to the runner (`record`: receive a message, or refuse a malformed event), retrying while the
 * store is away (backing off up to 10 s) until it is recorded or the adapter stops. For platforms that do not
 * resend on their own (Discord, the console) or whose acknowledgement waits for us (Telegram polling): giving up
 * would lose the event, waiting only delays it.
 */
export async function recordInbound(record: () => Promise<unknown>, subject: RecordingSubject, options: RecordInboundOptions): Promise<void> {
  const { platform, chatId, eventId } = subject;
  const { logger, stopping, retryIf = () => true } = options;
  const onRetry =
    options.onRetry ??
    ((error: unknown, attempt: number) => logger.warn({ err: error, platform, chatId, attempt }, 'could not record a message yet; retrying'));
  try {
    await pRetry(record, {
      forever: true,
      minTimeout: 250,
      maxTimeout: 10_000,
      shouldRetry: (error) => !stopping() && retryIf(error),
      onFailedAttempt: (error) => {
        if (!stopping() && retryIf(error)) onRetry(error, error.attemptNumber);
      },
    });
  } catch (error) {
    if (stopping()) logger.error({ err: error, platform, chatId, eventId }, 'stopped before the message could be recorded; it is lost');
    throw error;
  }
}
