import { randomUUID } from 'node:crypto';
import { MAX_INBOUND_TEXT } from '../runner/bot-runner.js';
import type { InboundMessage, InboundSink } from '../runner/platform-adapter.js';
import { eventKeyFor } from '../runner/session-key.js';
import { InvalidInputError } from '../store/errors.js';
import { assertValidSessionId } from '../store/session-id.js';
import type { ApiKeyRecord, InboxStore } from '../store/types.js';
import { ApiError } from './api-error.js';

/** Printable ASCII, as HTTP headers carry it; long enough for a UUID or a client's own request id. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export interface TurnRequest {
  sessionId: string;
  text: string;
  /** The client's `Idempotency-Key`: a retried request gets the first one's turn, never a second turn. */
  idempotencyKey?: string;
}

/**
 * Hands an HTTP message to the runner's durable inbox (the same path as every platform's messages: the session's
 * turns serialize through its lock, whoever runs them) and returns the inbox entry whose turn answers it. A retry
 * with the same idempotency key finds the first request's entry instead of recording another.
 */
export async function submitTurn(store: Pick<InboxStore, 'inboxTimeline'>, sink: InboundSink, key: ApiKeyRecord, request: TurnRequest): Promise<number> {
  const { sessionId, text, idempotencyKey } = request;
  try {
    assertValidSessionId(sessionId);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ApiError(400, 'invalid_session_id', error.message);
    throw error;
  }
  if (text.trim() === '') throw new ApiError(400, 'empty_text', 'text is empty: send {"text": "…"} with something to answer');
  if (text.length > MAX_INBOUND_TEXT) throw new ApiError(413, 'text_too_long', `text is ${text.length} characters long: the limit is ${MAX_INBOUND_TEXT}`);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 200 printable ASCII characters, such as a UUID');
  }
  const message: InboundMessage = {
    platform: 'http',
    botId: 'serve',
    chatId: key.name,
    userId: key.name,
    // Keys scope idempotency: two clients with their own keys never collide.
    eventId: idempotencyKey === undefined ? randomUUID() : `${key.name}:${idempotencyKey}`,
    text,
    isPrivate: true,
    addressed: true,
    replyTarget: { chatId: sessionId },
    sessionId,
  };
  const { inboxId } = await sink.receive(message);
  if (inboxId !== undefined) return inboxId;
  // A duplicate: the first request's entry.
  const first = await store.inboxTimeline(eventKeyFor(message));
  if (!first) throw new ApiError(409, 'idempotency_conflict', 'this Idempotency-Key was used by a request that is gone now: send the request with a new key');
  if (first.entry.sessionId !== sessionId) {
    throw new ApiError(422, 'idempotency_conflict', `this Idempotency-Key was used for another session ("${first.entry.sessionId}"): use a new key for a new request`);
  }
  return first.entry.id;
}
