import { LlmError } from '../core/llm/chat-model.js';
import { TranscriptionError } from '../core/llm/transcriber.js';
import { oneLine } from '../core/one-line.js';
import { isStoreUnreachable, LockLostError } from '../store/errors.js';
import { DeliveryError } from './delivery-error.js';
import { MediaRefusal } from './media.js';

/**
 * What went wrong with a message, decided here and nowhere else. `transient`: the entry stays pending and is tried
 * again later; `permanent`: it gets its final fate now. `source` says who failed, for the user's words and the
 * ledger.
 */
export interface Failure {
  errorClass: 'transient' | 'permanent';
  source: 'llm' | 'platform' | 'database' | 'internal';
  /** One line, for the ledger and the logs. */
  reason: string;
  /** How long the failing party asked us to wait. */
  retryAfterMs?: number;
  /** The platform will not take messages for this chat (blocked, chat gone): nobody can be told. */
  unreachable?: boolean;
  /**
   * The platform asked to slow down (a 429, or a 5xx with how long to wait), or the send budget had no room for the
   * reply in time: nothing about the message failed, so the attempt is not counted against its attempts.
   */
  rateLimited?: boolean;
  /** What the sender is told when the message is given up on, instead of the usual apology (a file over the limit). */
  userText?: string;
}

export function classifyFailure(error: unknown): Failure {
  const reason = oneLine(error);
  if (error instanceof DeliveryError) {
    const { fault } = error;
    return {
      errorClass: fault.kind === 'transient' ? 'transient' : 'permanent',
      source: 'platform',
      reason: fault.reason,
      ...(fault.retryAfterMs !== undefined ? { retryAfterMs: fault.retryAfterMs } : {}),
      ...(fault.kind === 'unreachable' ? { unreachable: true } : {}),
      ...(fault.kind === 'transient' && fault.retryAfterMs !== undefined ? { rateLimited: true } : {}),
    };
  }
  if (error instanceof MediaRefusal) return { errorClass: 'permanent', source: 'internal', reason, userText: error.reply };
  // Not the chat model's retry window: a failing transcription is tried again by the entry's attempts.
  if (error instanceof TranscriptionError) return { errorClass: error.transient ? 'transient' : 'permanent', source: 'internal', reason };
  if (error instanceof LlmError) {
    return { errorClass: error.transient ? 'transient' : 'permanent', source: 'llm', reason, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  // The database went away, or another worker took the session over: the entry is not ours to settle now.
  if (error instanceof LockLostError || isStoreUnreachable(error)) return { errorClass: 'transient', source: 'database', reason };
  // A bug or an unknown failure: tried again, bounded by the entry's attempts, so it cannot loop for ever.
  return { errorClass: 'transient', source: 'internal', reason };
}
