import pRetry from 'p-retry';
import type { Logger } from '../../src/log.js';
import type { InboundHandler, InboundMessage } from '../../src/runner/platform-adapter.js';

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
 * Hand a message to the runner, retrying while the store is away (backing off up to 10 s) until it is recorded
 * or the adapter stops. For platforms that do not resend on their own (Discord, the console) or whose
 * acknowledgement waits for us (Telegram polling): giving up would lose the message, waiting only delays it.
 */
export async function recordInbound(handler: InboundHandler, message: InboundMessage, options: RecordInboundOptions): Promise<void> {
  const { logger, stopping, retryIf = () => true } = options;
  const onRetry =
    options.onRetry ??
    ((error: unknown, attempt: number) =>
      logger.warn({ err: error, platform: message.platform, chatId: message.chatId, attempt }, 'could not record a message yet; retrying'));
  try {
    await pRetry(() => handler(message), {
      forever: true,
      minTimeout: 250,
      maxTimeout: 10_000,
      shouldRetry: (error) => !stopping() && retryIf(error),
      onFailedAttempt: (error) => {
        if (!stopping() && retryIf(error)) onRetry(error, error.attemptNumber);
      },
    });
  } catch (error) {
    if (stopping()) {
      logger.error({ err: error, platform: message.platform, chatId: message.chatId, eventId: message.eventId }, 'stopped before the message could be recorded; it is lost');
    }
    throw error;
  }
}
