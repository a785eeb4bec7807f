import type { InboxStore, TurnEvent, TurnProgress } from '../store/types.js';
import { ApiError } from './api-error.js';
import { apiMessage } from './api-shapes.js';
import type { TurnActivity } from './turn-activity.js';

/** An event of a turn as clients see it: the SSE event name, its data, and its id (for Last-Event-ID). */
export type FollowedEvent =
  | { event: 'start'; id: number; data: { sessionId: string; turnId: string } }
  | { event: 'delta'; id: number; data: { text: string } }
  | { event: 'reset'; id: number; data: Record<string, never> }
  | { event: 'done'; id: number; data: { reply: string; turn: number; messages: ReturnType<typeof apiMessage>[] } }
  | { event: 'error'; id: number; data: { error: string; code: TurnErrorCode } };

/** `dead_letter`: given up on (the model or the store failed past its retries); `refused`: never to be answered. */
export type TurnErrorCode = 'dead_letter' | 'refused';

export interface FollowOptions {
  /** Replay only events after this id (the SSE Last-Event-ID); absent: from the start, `start` included. */
  afterId?: number;
  /**
   * The entry's session, when the caller knows the entry exists (it has just recorded or looked it up): `start`
   * goes out before the first look at the store instead of after it.
   */
  sessionId?: string;
  /** The client went away: stop following (the turn itself goes on). */
  signal?: AbortSignal;
  /** Longest wait between two looks at the store when no notification comes. */
  pollMs: number;
}

/** The turn id clients see is the inbox entry's id: unique across sessions, and where its fate is recorded. */
export const turnIdOf = (inboxId: number): string => String(inboxId);

/**
 * Follows one inbox entry's turn from the store, so it works from any `serve` process and after any reconnect:
 * its recorded events in order, then — once the entry has a final fate — `done` with the committed turn, or
 * `error` with what the user was told. Each look is one `turnProgress`: the fate and the events come from one
 * snapshot, and every event is recorded before the fate, so a final fate seen with the rest of the log read means
 * nothing is missed; the `done` turn's messages come in the same look.
 */
export async function* followTurn(store: Pick<InboxStore, 'turnProgress'>, activity: TurnActivity, inboxId: number, options: FollowOptions): AsyncGenerator<FollowedEvent> {
  const start = (sessionId: string): FollowedEvent => ({ event: 'start', id: 0, data: { sessionId, turnId: turnIdOf(inboxId) } });
  let after = options.afterId ?? -1;
  if (after < 0 && options.sessionId !== undefined) {
    yield start(options.sessionId);
    after = 0;
  }
  // Watched before the first look: news from then on is kept until the wait takes it, so none falls in between.
  const watch = activity.watch(inboxId);
  try {
    // The look that finds the entry for `start` happens even when the client is gone already.
    while (after < 0 || !options.signal?.aborted) {
      const progress = await store.turnProgress(inboxId, Math.max(after, 0));
      if (!progress) return;
      if (after < 0) {
        yield start(progress.sessionId);
        after = 0;
      }
      yield* asEvents(progress.events);
      after = progress.events.at(-1)?.seq ?? after;
      // A full page: the rest of the log first (the fate is looked at again with it).
      if (progress.more) continue;
      const end = finalEvent(progress, after + 1);
      if (end) {
        yield end;
        return;
      }
      await watch.next(options.pollMs, options.signal);
    }
  } finally {
    watch.close();
  }
}

function* asEvents(events: TurnEvent[]): Generator<FollowedEvent> {
  for (const e of events) {
    if (e.kind === 'delta') yield { event: 'delta', id: e.seq, data: { text: String((e.data as { text?: unknown }).text ?? '') } };
    else if (e.kind === 'reset') yield { event: 'reset', id: e.seq, data: {} };
  }
}

/** The entry's fate as an event, once it has one. */
function finalEvent(progress: TurnProgress, id: number): FollowedEvent | undefined {
  if (progress.status === 'pending') return undefined;
  if (progress.status === 'done' && progress.answeredBy) {
    const messages = progress.answer ?? [];
    const reply = messages.filter((m) => m.role === 'assistant' && m.content !== null).at(-1)?.content ?? '';
    return { event: 'done', id, data: { reply, turn: progress.answeredBy.turn, messages: messages.map(apiMessage) } };
  }
  // What the user was told in plain words, else the ledger's reason.
  const told = progress.lastNotice ?? progress.lastError ?? 'the message was not answered';
  return { event: 'error', id, data: { error: told, code: progress.status === 'refused' ? 'refused' : 'dead_letter' } };
}

/** Follows a turn to its end: the last event, `done` or `error` (none when the client left or the process is closing). */
export async function followToEnd(events: AsyncIterable<FollowedEvent>): Promise<FollowedEvent | undefined> {
  let last: FollowedEvent | undefined;
  for await (const e of events) last = e;
  return last;
}

/**
 * How a turn that did not end `done` is answered, on every route: refused → 422; given up on → 502; not followed to
 * its end → 502. The message is recorded by then, so none of them is worth resending as it is: a resend without its
 * Idempotency-Key is a second turn. `x-should-retry: false` tells OpenAI's SDKs (which retry a 5xx by themselves).
 */
export function turnEndError(end: FollowedEvent | undefined, sessionId: string, inboxId: number): ApiError {
  const noRetry = { 'x-should-retry': 'false' };
  if (end?.event === 'error') {
    return end.data.code === 'refused' ? new ApiError(422, 'refused', end.data.error, noRetry) : new ApiError(502, 'dead_letter', end.data.error, noRetry);
  }
  return new ApiError(
    502,
    'turn_lost',
    `the turn could not be followed to its end here; it goes on: GET /v1/sessions/${sessionId}/turns/${turnIdOf(inboxId)}/events follows it`,
    noRetry,
  );
}
