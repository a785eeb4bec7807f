import pRetry from 'p-retry';
import type { Logger } from '../../src/log.js';
import type { InboundHandler, InboundMessage } from '../../src/runner/platform-adapter.js';

/**
 * Hand a message to the runner, retrying while the store is away (backing off up to 10 s) until it is recorded
 * or the adapter stops. For platforms that do not resend on their own (Discord) or whose acknowledgement waits
 * for us (Telegram polling): giving up would lose the message, waiting only delays it.
 */
export async function recordInbound(
  handler: InboundHandler,
  message: InboundMessage,
  options: { logger: Logger; stopping: () => boolean },
): Promise<void> {
  try {
    await pRetry(() => handler(message), {
      forever: true,
      minTimeout: 250,
      maxTimeout: 10_000,
      shouldRetry: () => !options.stopping(),
      onFailedAttempt: (error) => {
        options.logger.warn({ err: error, platform: message.platform, chatId: message.chatId, attempt: error.attemptNumber }, 'could not record a message yet; retrying');
      },
    });
  } catch (error) {
    options.logger.error({ err: error, platform: message.platform, chatId: message.chatId, eventId: message.eventId }, 'stopped before the message could be recorded; it is lost');
    throw error;
  }
}
