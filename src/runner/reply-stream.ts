import type { InboxEntry, LockedSession } from '../store/types.js';
import type { PlatformAdapter, ReplyTarget } from './platform-adapter.js';
import { splitText } from './split-text.js';

/** Platforms drop "typing…" after about 5 s: renew it a little before. */
const TYPING_RENEW_MS = 4_000;

export interface ReplyStreamOptions {
  /** Edit the reply as text arrives (default) or send it once when complete. */
  stream: boolean;
  /** Least time between two edits of one message. */
  editIntervalMs: number;
}

/**
 * One reply on its way to the platform: "typing…" until text arrives, then a message edited as the text grows,
 * split into more messages at the platform's limit. Each posted message is recorded against the inbox entry
 * before the turn commits, so a worker that retries the entry after a crash edits those messages instead of
 * posting the reply twice.
 */
export class ReplyStream {
  private text = '';
  /** What each posted part shows now; index = part number. */
  private shown: string[] = [];
  private messageIds: string[] = [];
  private lastFlush = 0;
  private pending: Promise<void> = Promise.resolve();
  private typingTimer: NodeJS.Timeout | undefined;
  private failure: unknown;

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
  }

  /** Text from the model; shown at most once per edit interval. */
  push(delta: string): void {
    this.text += delta;
    if (!this.options.stream || Date.now() - this.lastFlush < this.options.editIntervalMs) return;
    this.lastFlush = Date.now();
    this.enqueue(this.text);
  }

  /** Show the complete reply (replacing whatever was streamed) and stop typing. Throws if posting failed. */
  async finish(finalText: string): Promise<void> {
    this.stopTyping();
    this.text = finalText;
    this.enqueue(finalText);
    await this.pending;
    if (this.failure) throw this.failure;
  }

  /**
   * Stop "typing…" and post nothing more (the turn failed or was aborted). With a `note`, a partly streamed reply
   * left on screen says it was cut short, so nobody mistakes it for a whole answer.
   */
  async abandon(note?: string): Promise<void> {
    this.stopTyping();
    // Only a reply already on screen gets the note (with all the text that had arrived): none is started for it.
    if (note !== undefined && this.messageIds.length > 0 && this.adapter.canEdit !== false) this.enqueue(this.text + note);
    await this.pending;
  }

  /** Flushes run one after another, so parts are posted in order and never edited concurrently. */
  private enqueue(text: string): void {
    this.pending = this.pending.then(() => this.render(text)).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  private async render(text: string): Promise<void> {
    const formatted = this.adapter.formatText ? this.adapter.formatText(text) : text;
    const parts = splitText(formatted, this.adapter.textLimit);
    for (let i = 0; i < parts.length; i++) {
      if (this.shown[i] === parts[i]) continue;
      const existing = this.messageIds[i];
      if (existing !== undefined) {
        // Posted by an earlier attempt: bring it up to date, or leave it where messages cannot be edited.
        if (this.adapter.canEdit !== false) await this.adapter.edit(this.target, existing, parts[i]);
      } else {
        this.session.assertHeld?.(); // a lost lock's retry would post this part again: post it only while held
        const id = await this.adapter.send(this.target, parts[i]);
        this.messageIds[i] = id;
        await this.session.recordReplyPart(this.entry.id, i, id);
      }
      this.shown[i] = parts[i];
      if (i === 0) this.stopTyping();
    }
  }

  private startTyping(): void {
    const tick = () => void this.adapter.typing(this.target).catch(() => {});
    tick();
    this.typingTimer = setInterval(tick, TYPING_RENEW_MS);
  }

  private stopTyping(): void {
    clearInterval(this.typingTimer);
    this.typingTimer = undefined;
  }
}
