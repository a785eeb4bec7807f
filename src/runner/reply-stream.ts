import type { InboxEntry, LockedSession } from '../store/types.js';
import { DeliveryError, delivering } from './delivery-error.js';
import type { PlatformAdapter, ReplyTarget } from './platform-adapter.js';
import { splitText } from './split-text.js';
import type { TurnReply } from './turn-pipeline.js';

/** Platforms drop "typing…" after about 5 s: renew it a little before. */
const TYPING_RENEW_MS = 4_000;

export interface ReplyStreamOptions {
  /** Edit the reply as text arrives (default) or send it once when complete. */
  stream: boolean;
  /** Least time between two edits of one message. */
  editIntervalMs: number;
  /** With nothing on screen after this long, post `slowNote.text` once (the model is slow or being retried). */
  slowNote?: { afterMs: number; text: string };
}

/**
 * One reply on its way to the platform: "typing…" until text arrives, then a message edited as the text grows,
 * split into more messages at the platform's limit. Each posted message is recorded against the inbox entry
 * before the turn commits, so a worker that retries the entry after a crash edits those messages instead of
 * posting the reply twice.
 *
 * Platform refusals: an edit the platform no longer accepts (message too old or gone) becomes a new message; a
 * text it refuses is sent once more as plain text (without `formatText`); anything else ends `finish` with a
 * `DeliveryError` for the runner to settle. Failed edits while streaming are only cosmetic: the final render
 * decides.
 */
export class ReplyStream implements TurnReply {
  private text = '';
  /** What each posted part shows now; index = part number. */
  private shown: string[] = [];
  private messageIds: string[] = [];
  private lastFlush = 0;
  private pending: Promise<void> = Promise.resolve();
  private typingTimer: NodeJS.Timeout | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  /** Set once the platform refused our formatting: everything after goes out as plain text. */
  private plain = false;

  /** Starts "typing…"; parts an earlier attempt posted for `entry` (a worker that died before committing) are edited, not posted again. */
  constructor(
    private readonly adapter: PlatformAdapter,
    private readonly target: ReplyTarget,
    private readonly session: LockedSession,
    private readonly entry: InboxEntry,
    private readonly options: ReplyStreamOptions,
  ) {
    for (const part of entry.replyParts) {
      this.messageIds[part.part] = part.platformMessageId;
      this.shown[part.part] = '';
    }
    this.startTyping();
    const { slowNote } = options;
    if (slowNote) this.slowTimer = setTimeout(() => this.postSlowNote(slowNote.text), slowNote.afterMs);
  }

  /** Text from the model; shown at most once per edit interval. */
  push(delta: string): void {
    this.text += delta;
    if (!this.options.stream || Date.now() - this.lastFlush < this.options.editIntervalMs) return;
    this.lastFlush = Date.now();
    this.enqueue(this.text, false);
  }

  /** The model is asked again from the start: text streamed so far is replaced by the new answer, in place. */
  restart(): void {
    this.text = '';
  }

  /** Show the complete reply (replacing whatever was streamed) and stop typing. Throws `DeliveryError` if it could not. */
  async finish(finalText: string): Promise<void> {
    this.stopWaitingSignals();
    this.text = finalText;
    let failure: unknown;
    this.enqueue(finalText, true, (error) => (failure = error));
    await this.pending;
    if (failure !== undefined) throw failure;
  }

  /**
   * Stop "typing…" and post nothing more (the turn failed or was aborted). With a `note`, a partly streamed reply
   * left on screen says it was cut short, so nobody mistakes it for a whole answer.
   */
  async abandon(note?: string): Promise<void> {
    this.stopWaitingSignals();
    // Only a reply already on screen gets the note (with all the text that had arrived): none is started for it.
    if (note !== undefined && this.messageIds.length > 0 && this.adapter.canEdit !== false) this.enqueue(this.text + note, false);
    await this.pending;
  }

  /** Flushes run one after another, so parts are posted in order and never edited concurrently. */
  private enqueue(text: string, final: boolean, onFailure?: (error: unknown) => void): void {
    this.pending = this.pending
      .then(() => this.render(text))
      // Only the final render's failure counts: a failed edit mid-stream is redone by the next flush or the last.
      .catch((error: unknown) => (final ? onFailure?.(error) : undefined));
  }

  private async render(text: string): Promise<void> {
    try {
      await this.renderParts(text);
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.fault.kind !== 'content' || this.plain || !this.adapter.formatText) throw error;
      // The platform refused our formatting: once more, as the model wrote it.
      this.plain = true;
      await this.renderParts(text);
    }
  }

  private async renderParts(text: string): Promise<void> {
    const formatted = this.adapter.formatText && !this.plain ? this.adapter.formatText(text) : text;
    const parts = splitText(formatted, this.adapter.textLimit);
    for (let i = 0; i < parts.length; i++) {
      if (this.shown[i] === parts[i]) continue;
      const existing = this.messageIds[i];
      if (existing === undefined) await this.post(i, parts[i]);
      // Posted by an earlier attempt: bring it up to date, or leave it where messages cannot be edited.
      else if (this.adapter.canEdit !== false) await this.editOrRepost(i, existing, parts[i]);
      this.shown[i] = parts[i];
      if (i === 0) this.stopWaitingSignals();
    }
  }

  private async post(part: number, text: string): Promise<void> {
    // A lost lock's retry would post this part again: post it only while the lock is known to be held.
    this.session.assertHeld?.();
    const id = await delivering(this.adapter, () => this.adapter.send(this.target, text));
    this.messageIds[part] = id;
    await this.session.recordReplyPart(this.entry.id, part, id);
  }

  private async editOrRepost(part: number, messageId: string, text: string): Promise<void> {
    try {
      await delivering(this.adapter, () => this.adapter.edit(this.target, messageId, text));
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.fault.kind !== 'edit_refused') throw error;
      await this.post(part, text);
    }
  }

  private postSlowNote(text: string): void {
    if (this.messageIds.length > 0) return;
    this.pending = this.pending.then(async () => {
      if (this.messageIds.length > 0) return;
      try {
        await delivering(this.adapter, () => this.adapter.send(this.target, text));
        await this.session.recordNotice(this.entry.id, text);
      } catch {
        // Only a courtesy: the reply itself, or its failure, is what the entry's fate is made of.
      }
    });
  }

  private startTyping(): void {
    // "typing…" is a courtesy with no fate of its own: a refusal shows up again when the reply is sent.
    const tick = () => void this.adapter.typing(this.target).catch(() => {});
    tick();
    this.typingTimer = setInterval(tick, TYPING_RENEW_MS);
  }

  private stopWaitingSignals(): void {
    this.stopTyping();
    clearTimeout(this.slowTimer);
  }

  private stopTyping(): void {
    clearInterval(this.typingTimer);
    this.typingTimer = undefined;
  }
}
