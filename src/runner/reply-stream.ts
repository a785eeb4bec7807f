import type { InboxEntry, LockedSession } from '../store/types.js';
import { DeliveryError } from './delivery-error.js';
import type { PlatformAdapter, ReplyTarget } from './platform-adapter.js';
import type { SendBudget } from './send-budget.js';
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
  /** Where every send and edit takes its share of the platform's rate limits (shared by every worker). */
  budget: SendBudget;
}

/** A final render shows the whole text whatever it waits for; an interim one (while streaming) only what the budget allows now. */
type RenderMode = 'final' | 'interim';

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
 *
 * Rate limits: every call takes from the send budget. While streaming, an edit the budget has no room for is left
 * out (the next one shows the newer text), and the next is not tried before the budget says; once the budget is
 * under pressure (paused after a 429, or drained by other senders) the reply stops streaming and is shown once, in
 * full, when it is complete. The final render waits for the budget (see `SendBudget.deliver`) and is never left out.
 */
export class ReplyStream implements TurnReply {
  private text = '';
  /** What each posted part shows now; index = part number. */
  private shown: string[] = [];
  private messageIds: string[] = [];
  /** No interim render before this: the edit interval, or longer when the budget said so. */
  private nextFlushAt = 0;
  /** An interim render waits its turn: it will show the newest text, so no other is queued meanwhile. */
  private interimQueued = false;
  /** The budget is under pressure: no more interim renders, only the final one. */
  private finalOnly = false;
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

  /** Text from the model; shown at most once per edit interval, and only as often as the send budget allows. */
  push(delta: string): void {
    this.text += delta;
    if (!this.options.stream || this.finalOnly || this.interimQueued || Date.now() < this.nextFlushAt) return;
    this.nextFlushAt = Date.now() + this.options.editIntervalMs;
    this.interimQueued = true;
    this.pending = this.pending
      .then(() => {
        this.interimQueued = false;
        if (!this.finalOnly) return this.render(this.text, 'interim');
      })
      // A failed edit mid-stream is redone by the next flush or the last.
      .catch(() => {});
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
    this.enqueue(finalText, (error) => (failure = error));
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
    // The note waits for the budget like a final render, but its failure changes nothing: the entry has its fate.
    if (note !== undefined && this.messageIds.length > 0 && this.adapter.canEdit !== false) this.enqueue(this.text + note, () => {});
    await this.pending;
  }

  /** A final render, after whatever is queued: flushes run one after another, so parts are posted in order and never edited concurrently. */
  private enqueue(text: string, onFailure: (error: unknown) => void): void {
    this.pending = this.pending.then(() => this.render(text, 'final')).catch(onFailure);
  }

  private async render(text: string, mode: RenderMode): Promise<void> {
    try {
      await this.renderParts(text, mode);
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.fault.kind !== 'content' || this.plain || !this.adapter.formatText) throw error;
      // The platform refused our formatting: once more, as the model wrote it.
      this.plain = true;
      await this.renderParts(text, mode);
    }
  }

  private async renderParts(text: string, mode: RenderMode): Promise<void> {
    const formatted = this.adapter.formatText && !this.plain ? this.adapter.formatText(text) : text;
    const parts = splitText(formatted, this.adapter.textLimit);
    for (let i = 0; i < parts.length; i++) {
      if (this.shown[i] === parts[i]) continue;
      const existing = this.messageIds[i];
      let done = true;
      if (existing === undefined) done = await this.post(i, parts[i], mode);
      // Posted by an earlier attempt: bring it up to date, or leave it where messages cannot be edited.
      else if (this.adapter.canEdit !== false) done = await this.editOrRepost(i, existing, parts[i], mode);
      // The budget had no room for this interim call: the next flush, or the final render, shows the rest.
      if (!done) return;
      this.shown[i] = parts[i];
      if (i === 0) this.stopWaitingSignals();
    }
  }

  /** Whether the part was posted (an interim post the budget has no room for is not). */
  private async post(part: number, text: string, mode: RenderMode): Promise<boolean> {
    // A lost lock's retry would post this part again: post it only while the lock is known to be held.
    this.session.assertHeld?.();
    const sent = await this.call(mode, () => this.adapter.send(this.target, text));
    if (!sent.sent) return false;
    this.messageIds[part] = sent.value;
    await this.session.recordReplyPart(this.entry.id, part, sent.value);
    return true;
  }

  private async editOrRepost(part: number, messageId: string, text: string, mode: RenderMode): Promise<boolean> {
    try {
      return (await this.call(mode, () => this.adapter.edit(this.target, messageId, text))).sent;
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.fault.kind !== 'edit_refused') throw error;
      return this.post(part, text, mode);
    }
  }

  /**
   * One platform call through the budget: a final one waits for it; an interim one goes only if it has room now,
   * and tells the stream to edit less often (the budget's wait) or, under pressure, to stop streaming.
   */
  private async call<T>(mode: RenderMode, send: () => Promise<T>): Promise<{ sent: true; value: T } | { sent: false }> {
    const { budget } = this.options;
    if (mode === 'final') return { sent: true, value: await budget.deliver(this.target, send) };
    try {
      const offered = await budget.offer(this.target, send);
      if (!offered.sent) {
        this.nextFlushAt = Math.max(this.nextFlushAt, Date.now() + offered.waitMs);
        if (offered.pressure) this.finalOnly = true;
      }
      return offered;
    } catch (error) {
      // The platform asked to slow down: the rest of this reply is shown once, complete.
      if (error instanceof DeliveryError && error.fault.retryAfterMs !== undefined) this.finalOnly = true;
      throw error;
    }
  }

  private postSlowNote(text: string): void {
    if (this.messageIds.length > 0) return;
    this.pending = this.pending.then(async () => {
      if (this.messageIds.length > 0) return;
      try {
        // Left out when the budget has no room for it: the reply needs that room more.
        const sent = await this.options.budget.offer(this.target, () => this.adapter.send(this.target, text));
        if (sent.sent) await this.session.recordNotice(this.entry.id, text);
      } catch {
        // Only a courtesy: the reply itself, or its failure, is what the entry's fate is made of.
      }
    });
  }

  private startTyping(): void {
    // "typing…" is a courtesy with no fate of its own: a refusal shows up again when the reply is sent. It takes
    // no budget, but is not shown while this process knows the chat's budget to be paused or empty.
    const tick = () => {
      if (this.options.budget.mayShowTyping(this.target)) void this.adapter.typing(this.target).catch(() => {});
    };
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
