import pRetry from 'p-retry';
import type { Logger } from '../../src/log.js';

/** What the log lines about a recording name: enough to find the event, nothing of its text. */
export interface RecordingSubject {
  platform: string;
  chatId?: string;
  eventId?: string;
}

/**
 * Hand an event to the runner (`record`: receive a message, or refuse a malformed event), retrying while the
 * store is away (backing off up to 10 s) until it is recorded or the adapter stops. For platforms that do not
 * resend on their own (Discord) or whose acknowledgement waits for us (Telegram polling): giving up would lose
 * the event, waiting only delays it.
 */
export async function recordInbound(
  record: () => Promise<unknown>,
  subject: RecordingSubject,
  options: { logger: Logger; stopping: () => boolean },
): Promise<void> {
  const { platform, chatId, eventId } = subject;
  try {
    await pRetry(record, {
      forever: true,
      minTimeout: 250,
      maxTimeout: 10_000,
      shouldRetry: () => !options.stopping(),
      onFailedAttempt: (error) => {
        options.logger.warn({ err: error, platform, chatId, attempt: error.attemptNumber }, 'could not record a message yet; retrying');
      },
    });
  } catch (error) {
    options.logger.error({ err: error, platform, chatId, eventId }, 'stopped before the message could be recorded; it is lost');
    throw error;
  }
}
