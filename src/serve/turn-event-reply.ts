import type { TurnReply } from '../runner/turn-pipeline.js';
import type { InboxEntry, LockedSession, NewTurnEvent } from '../store/types.js';

/** Kinds of event in a turn's log. A follower shows deltas appended in order; a reset clears what it showed. */
export type TurnEventKind = 'delta' | 'reset';

export interface TurnEventReplyOptions {
  /** Deltas arriving within this long are recorded together: one fenced write, not one per token. */
  flushMs: number;
}

/**
 * A reply written to the turn's event log in the store, where any `serve` process's followers read it (and a client
 * that reconnects replays it). Deltas are batched per `flushMs`; each write is fenced by the session lock, so a
 * worker that lost its lock cannot add to a log another worker now writes. A later attempt on the same entry (the
 * first worker died, or the model was asked again) starts with a `reset`.
 */
export class TurnEventReply implements TurnReply {
  /** What has been handed to the log in this attempt, to check the final text against. */
  private streamed = '';
  private buffer = '';
  private queued: NewTurnEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly session: LockedSession,
    private readonly entry: InboxEntry,
    private readonly options: TurnEventReplyOptions,
  ) {
    // An earlier attempt may have left text in the log: whoever follows it starts over.
    if (entry.attempts > 1) this.queued.push({ kind: 'reset', data: {} });
  }

  push(delta: string): void {
    if (delta === '') return;
    this.buffer += delta;
    this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
  }

  restart(): void {
    this.buffer = '';
    this.streamed = '';
    this.queued.push({ kind: 'reset', data: {} });
    this.flush();
  }

  /** The log ends with exactly `text`; the turn's fate (done, with the committed messages) is the store's to tell. */
  async finish(text: string): Promise<void> {
    await this.drain();
    if (!text.startsWith(this.streamed)) {
      // Streamed text that is not the reply's beginning (a draft delivered by a later attempt, '(no reply)'): replace it.
      this.queued.push({ kind: 'reset', data: {} });
      this.streamed = '';
    }
    this.buffer = text.slice(this.streamed.length);
    await this.drain();
    if (this.failure !== undefined) throw this.failure;
  }

  /** The follower reports the failure from the entry's fate; what streamed so far stays in the log. */
  async abandon(): Promise<void> {
    await this.drain();
  }

  private async drain(): Promise<void> {
    this.flush();
    await this.writing;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer !== '') {
      this.queued.push({ kind: 'delta', data: { text: this.buffer } });
      this.streamed += this.buffer;
      this.buffer = '';
    }
    if (this.queued.length === 0) return;
    const events = this.queued;
    this.queued = [];
    // One write at a time, in order. A failed write ends the reply: `finish` throws it, and the runner settles it
    // (a database failure leaves the entry pending for another attempt).
    this.writing = this.writing.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.session.recordTurnEvents(this.entry.id, events);
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
