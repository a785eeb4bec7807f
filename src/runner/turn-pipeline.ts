import { setTimeout as sleep } from 'node:timers/promises';
import { LlmError } from '../core/llm/chat-model.js';
import { isAbort, type GeneratedTurn, type GenerateOptions, type TurnEngine } from '../core/turn-engine.js';
import type { Logger } from '../log.js';
import type { InboxEntry, LockedSession, NewMessage } from '../store/types.js';
import type { MediaResolver } from './media.js';
import { modelText } from './message-content.js';
import type { InboundMessage, PlatformAdapter } from './platform-adapter.js';
import { ReplyStream } from './reply-stream.js';
import type { SendBudget } from './send-budget.js';
import { backoffMs, type RetryPolicy } from './retry-policy.js';
import { timedLlmCall, type RunnerMetrics } from './runner-metrics.js';
import { SLOW_MODEL, STOPPED } from './user-notices.js';

/** Where a batch's turn has got to; a failure is recorded with the stage it reached. */
export type Stage = 'claimed' | 'generating' | 'delivering' | 'committing';

export interface PipelineSettings {
  stream: boolean;
  editIntervalMs: number;
  /** How long transient LLM failures are retried before the entry is given up on, and how far apart. */
  llmRetryWindowMs: number;
  llmRetry: RetryPolicy;
  /** With nothing on screen after this long, the user is told the model is slow (once). */
  slowNoteAfterMs: number;
  /** Where each model call's duration and result are reported (default: nowhere). */
  metrics?: RunnerMetrics;
  /** Every send and edit of a reply takes its share of the platform's rate limits here. */
  budget: SendBudget;
  /** Fetches and stores the batch's media before the model is asked (default: media are only described). */
  media?: MediaResolver;
}

/**
 * A reply on its way to the user, as the pipeline drives it: text as it streams, a restart when the model is asked
 * again, then the complete reply (throwing when it could not be shown) or nothing more (the turn failed).
 * `ReplyStream` shows it as platform messages edited in place; `threadline serve` as a turn's event log.
 */
export interface TurnReply {
  push(delta: string): void;
  restart(): void;
  finish(text: string): Promise<void>;
  /** With a `note`, a partly shown reply says it was cut short. */
  abandon(note?: string): Promise<void>;
}

/** Makes the reply to a batch; `chat` is the chat's session, held locked (its lock fences what the reply records). */
export type ReplyFactory = (chat: LockedSession, batch: InboxEntry<InboundMessage>[]) => TurnReply;

/** The batch in progress, as the runner hands it over. */
export interface TurnJob {
  /** The chat's session: its lock fences the inbox entries and reply records. */
  chat: LockedSession;
  /** Where the turn is committed: the chat's active conversation (itself unless /new switched it), held locked. */
  conversation: LockedSession;
  batch: InboxEntry<InboundMessage>[];
  signal: AbortSignal;
  log: Logger;
  /** Updated as the turn moves on, so a failure can say how far it got. */
  progress: { stage: Stage };
}

/** What a delivery failure leaves on the entry: the turn, so a later attempt delivers it without asking the model again. */
interface Draft extends GeneratedTurn {
  inboxIds: number[];
}

/** How a turn that did not fail ended. */
export type TurnOutcome = 'answered' | 'stopped';

/**
 * One batch of a chat's messages through its stages: generating (the model, with transient failures retried for a
 * bounded window) → delivering (the complete reply on the platform) → committing (the turn with its inbox entries,
 * in one fenced transaction). A failure is thrown for the runner to settle; the reply on screen has been left
 * consistent (the runner marks it cut short if the entry is given up on).
 */
export class TurnPipeline {
  constructor(
    private readonly engine: TurnEngine,
    private readonly adapter: PlatformAdapter,
    private readonly settings: PipelineSettings,
    private readonly replies?: ReplyFactory,
  ) {}

  /** The reply to a batch; the runner keeps it, to mark a reply left on screen when the batch is given up on. */
  replyFor(chat: LockedSession, batch: InboxEntry<InboundMessage>[]): TurnReply {
    if (this.replies) return this.replies(chat, batch);
    return new ReplyStream(this.adapter, batch.at(-1)!.payload.replyTarget, chat, batch[0], {
      stream: this.settings.stream && this.adapter.canEdit !== false,
      editIntervalMs: this.settings.editIntervalMs,
      slowNote: { afterMs: this.settings.slowNoteAfterMs, text: SLOW_MODEL },
      budget: this.settings.budget,
    });
  }

  async run(job: TurnJob, reply: TurnReply): Promise<TurnOutcome> {
    const { batch, conversation, progress, log } = job;
    const inboxIds = batch.map((e) => e.id);
    const last = batch.at(-1)!.payload;
    let turn = draftFor(batch);
    if (turn) log.debug('delivering the reply an earlier attempt generated');
    else {
      // Media first, from the store when an earlier attempt kept them: nothing below depends on the platform's URLs.
      const { input, images } = this.settings.media ? await this.settings.media.prepare(batch, log) : { input: toInput(batch.map((e) => e.payload)), images: [] };
      progress.stage = 'generating';
      log.debug('generating');
      try {
        turn = await this.generate(job, input, images, reply);
      } catch (error) {
        if (!isAbort(error, job.signal)) throw error;
        // /stop: the input is kept (marked interrupted) and the entries are done; the partial reply says so.
        await reply.abandon(STOPPED);
        progress.stage = 'committing';
        await conversation.appendTurn(input.map((m) => ({ ...m, metadata: { ...m.metadata, interrupted: true } })), { completeInbox: inboxIds });
        return 'stopped';
      }
    }
    progress.stage = 'delivering';
    log.debug('delivering');
    try {
      await reply.finish(turn.reply.trim() === '' ? '(no reply)' : turn.reply);
    } catch (error) {
      // Kept with the entry: a retry delivers this turn, it does not ask the model again.
      const draft: Draft = { inboxIds, ...turn };
      await job.chat.saveDraft(batch[0].id, draft);
      throw error;
    }
    progress.stage = 'committing';
    await conversation.appendTurn(turn.messages, {
      completeInbox: inboxIds,
      metadata: { platform: last.platform, chatId: last.chatId, agentName: this.engine.name, ...(last.isPrivate ? { userId: last.userId } : {}) },
    });
    return 'answered';
  }

  /** Ask the model; transient failures are retried with capped back-off until the window is spent. */
  private async generate(job: TurnJob, input: NewMessage[], images: GenerateOptions['images'], reply: TurnReply): Promise<GeneratedTurn> {
    const history = await job.conversation.loadWindow(this.engine.window);
    const deadline = Date.now() + this.settings.llmRetryWindowMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await timedLlmCall(this.settings.metrics, job.signal, () => this.engine.generate(history, input, { onText: (delta) => reply.push(delta), signal: job.signal, images }));
      } catch (error) {
        if (!(error instanceof LlmError) || !error.transient || isAbort(error, job.signal)) throw error;
        const waitMs = backoffMs(attempt, error.retryAfterMs, this.settings.llmRetry);
        if (Date.now() + waitMs > deadline) throw error;
        job.log.warn({ err: error, retryInMs: waitMs, llmAttempt: attempt }, 'LLM call failed for now; asking again');
        reply.restart();
        // An abort (/stop, shutdown) ends the wait at once.
        await sleep(waitMs, undefined, { signal: job.signal }).catch(() => {});
        if (job.signal.aborted) throw new LlmError('aborted', { failure: 'aborted' });
      }
    }
  }
}

/**
 * The model's input: one user message per inbound message (told of attachments it cannot see); in groups the model
 * must know who said what.
 */
function toInput(messages: InboundMessage[]): NewMessage[] {
  return messages.map((m) => ({ role: 'user', content: modelText(m), ...(m.isPrivate ? {} : { name: m.userName ?? m.userId }) }));
}

/** The draft an earlier attempt left, when it answers exactly this batch. */
function draftFor(batch: InboxEntry[]): GeneratedTurn | undefined {
  const draft = batch[0].draft as Draft | undefined;
  if (!draft || !Array.isArray(draft.messages) || typeof draft.reply !== 'string') return undefined;
  const ids = batch.map((e) => e.id);
  return draft.inboxIds?.length === ids.length && draft.inboxIds.every((id, i) => id === ids[i]) ? draft : undefined;
}
