import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { TurnEngine } from '../core/turn-engine.js';
import type { Logger } from '../log.js';
import { SessionBusyError } from '../store/errors.js';
import { MAX_SESSION_ID_LENGTH } from '../store/session-id.js';
import type { AttemptFailure, HistoryStore, InboxEntry, InboxQueueSelection, LockedSession } from '../store/types.js';
import { decideAccess, type AccessOptions } from './access-policy.js';
import { commandReply } from './command-replies.js';
import { menuCommands, parseCommand, type CommandName } from './commands.js';
import { classifyFailure, type Failure } from './failure.js';
import { readInboxPayload, toInboxPayload, type InboxPayload } from './inbox-payload.js';
import { runnerQueues } from './inbox-queue.js';
import { MediaResolver, tooLargeReply, type MediaOptions } from './media.js';
import { unusableContent } from './message-content.js';
import type { InboundMessage, PlatformAdapter, RefusedEvent, ReplyTarget, UndeliveredReport } from './platform-adapter.js';
import { oneLine } from '../core/one-line.js';
import { ATTEMPT_RETRY, backoffMs, LLM_RETRY, type RetryPolicy } from './retry-policy.js';
import { SendBudget, type SendBudgetSettings } from './send-budget.js';
import { NO_RUNNER_METRICS, secondsSince, type RunnerMetrics } from './runner-metrics.js';
import { eventKeyFor, sessionKeyFor, type SessionScope } from './session-key.js';
import { MAX_PLATFORM_ID_LENGTH, storableMessage, storableText, unusableIds } from './storable-input.js';
import { TurnPipeline, type ReplyFactory, type Stage, type TurnReply } from './turn-pipeline.js';
import { CUT_SHORT, gaveUp, NOT_AUTHORISED, tooLong, UNREADABLE } from './user-notices.js';

/** `sequential`: messages that arrive mid-turn are answered one by one, in order; `collect`: together, in one turn. */
export type QueueMode = 'sequential' | 'collect';

export interface BotRunnerOptions {
  store: HistoryStore;
  /** Generates the turns; sessions are the runner's (each chat has its own). */
  engine: TurnEngine;
  adapter: PlatformAdapter;
  logger: Logger;
  sessionScope?: SessionScope;
  queueMode?: QueueMode;
  /** Edit the reply as it streams (default true). */
  stream?: boolean;
  /** Least time between two edits of a streaming reply (default 700 ms, or the adapter's minimum if higher). */
  editIntervalMs?: number;
  access?: AccessOptions;
  /** Sessions this process works on at once (default 4). */
  concurrency?: number;
  /** How often to look for pending messages when no notification arrives (default 1 s). */
  pollIntervalMs?: number;
  /** On stop, how long turns in flight may take to finish (default 30 s). */
  shutdownDeadlineMs?: number;
  /** How long answered inbox entries are kept to recognise redeliveries (default 7 days; purged hourly). */
  inboxRetentionMs?: number;
  /** Attempts on a message before it is dead-lettered (default 3). */
  maxAttempts?: number;
  /** How long transient LLM failures are retried, within one attempt, before the message is given up on (default 5 minutes). */
  llmRetryWindowMs?: number;
  /** With no reply on screen after this long, the user is told the model is slow (default 20 s). */
  slowNoteAfterMs?: number;
  /** Back-off between attempts on a message (default 2 s doubling, at most 5 minutes). */
  attemptRetry?: RetryPolicy;
  /** Back-off between calls to a failing model (default 1 s doubling, at most 30 s: a longer Retry-After is cut to it). */
  llmRetry?: RetryPolicy;
  /** How replies reach the user (default: the adapter's messages, edited as the reply streams). */
  replies?: ReplyFactory;
  /** Read `/new`, `/stop`, … as chat commands (default true); off, every text is a message for the model. */
  commands?: boolean;
  /** Every entry is followed live by its sender (`threadline serve`): the store announces its fate. */
  followed?: boolean;
  /** Where turns, model calls and lock waits are reported (default: nowhere). */
  metrics?: RunnerMetrics;
  /**
   * Outbound rate limits, shared by every worker through the store (default: on, with the adapter's limits, waiting
   * at most 10 s for a reply's budget within an attempt). See SendBudget.
   */
  sendLimits?: SendBudgetSettings;
  /** What the bot does with media its adapter can fetch: size limit, vision (see src/runner/media.ts). */
  media?: MediaOptions;
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Set on the chat's session when the platform will not take messages there; cleared when the chat writes again. */
interface UnreachableMark {
  reason: string;
  since: string;
  /** Entries up to this one were sent before it was known: they are given up on without asking the model. */
  throughInboxId: number;
}

/** A session this process works on: its lock handle, and the turn in progress with its abort switch. */
interface HeldSession {
  session?: LockedSession;
  turn?: AbortController;
  /** The turn in progress was aborted by /stop (the /stop entry then says "Stopped."). */
  stopped?: boolean;
  /** The chat's active conversation and reachability, read once per claim: only the lock holder changes them. */
  chat?: { conversation: string; unreachable?: UnreachableMark };
}

/** Longest inbound text accepted; longer messages get a short refusal and are not answered. */
export const MAX_INBOUND_TEXT = 16_000;

/**
 * The pipeline every adapter feeds. Inbound: access check → storable text → durable inbox (duplicates stop here) →
 * acknowledge. Workers: take a session with due entries that no other worker holds (its lock, without waiting),
 * claim its next batch (counting an attempt), run it through the turn pipeline, and settle every failure once:
 * transient ones defer the entry (its next attempt time is in the database, for every worker), permanent ones
 * and exhausted attempts dead-letter it with the user told. A worker that dies loses its connection and with it
 * the lock; its entries are still pending, and another worker answers them.
 */
export class BotRunner {
  private readonly store: HistoryStore;
  private readonly adapter: PlatformAdapter;
  private readonly log: Logger;
  private readonly pipeline: TurnPipeline;
  /** Sessions this process holds. */
  private readonly active = new Map<string, HeldSession>();
  private stopping = false;
  /** Sessions to leave alone for a while here: held by another worker, or failing on the database. */
  private readonly retryAt = new Map<string, { at: number; delayMs: number }>();
  private wake: () => void = () => {};
  private loop?: Promise<void>;
  private unlisten?: () => Promise<void>;
  private purgeTimer?: NodeJS.Timeout;
  /** The queues this runner works on, fixed at start (once the adapter knows its bot id). */
  private queues?: InboxQueueSelection;
  private workerName?: string;
  private readonly maxAttempts: number;
  private readonly llmRetryWindowMs: number;
  private readonly metrics: RunnerMetrics;
  /** Every send to the platform takes its share of the platform's rate limits here. */
  private readonly budget: SendBudget;
  /** Ends every wait for a send budget when the runner stops (the message is then tried again later). */
  private readonly stopSignal = new AbortController();
  private readonly media: MediaResolver;

  /**
   * Runners of other platforms, other bots of this platform (or other consoles) on the same database leave this
   * one's entries alone: see `runnerQueues`.
   */
  get queue(): string {
    return this.selection.queue;
  }

  private get selection(): InboxQueueSelection {
    return this.queues ?? runnerQueues(this.adapter);
  }

  /** Who makes the attempts, in the ledger: this process, and the queue it works for (two bots in one process differ). */
  get worker(): string {
    return (this.workerName ??= `${hostname()}:${process.pid}/${this.queue}`);
  }

  constructor(private readonly options: BotRunnerOptions) {
    this.store = options.store;
    this.adapter = options.adapter;
    this.log = options.logger;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.llmRetryWindowMs = options.llmRetryWindowMs ?? 5 * 60_000;
    this.metrics = options.metrics ?? NO_RUNNER_METRICS;
    this.budget = new SendBudget(this.store, this.adapter, this.log, options.sendLimits, this.stopSignal.signal, this.metrics);
    this.media = new MediaResolver(options.store, options.adapter, options.media);
    this.pipeline = new TurnPipeline(options.engine, options.adapter, {
      media: this.media,
      stream: options.stream ?? true,
      editIntervalMs: Math.max(options.editIntervalMs ?? 700, options.adapter.minEditIntervalMs ?? 0),
      llmRetryWindowMs: this.llmRetryWindowMs,
      llmRetry: options.llmRetry ?? LLM_RETRY,
      slowNoteAfterMs: options.slowNoteAfterMs ?? 20_000,
      metrics: this.metrics,
      budget: this.budget,
    }, options.replies);
  }

  private command(text: string): CommandName | undefined {
    return this.options.commands === false ? undefined : parseCommand(text);
  }

  async start(): Promise<void> {
    // The bot's id names the queue: known before any entry is recorded or looked for (a bad token fails here).
    await this.adapter.identify?.();
    this.queues = runnerQueues(this.adapter);
    this.workerName = undefined;
    this.unlisten = await this.store.onInboxActivity((sessionId) => this.onActivity(sessionId));
    this.loop = this.workLoop();
    try {
      await this.adapter.start({
        receive: (message) => this.receive(message),
        refuse: (event) => this.refuse(event),
        undelivered: (report) => this.undelivered(report),
        // The platform's command menu offers what this runner answers: nothing when it reads no commands.
        commands: this.options.commands === false ? [] : menuCommands(),
      });
    } catch (error) {
      // Nothing may keep running on a bot that never started: stop the work loop and the listener first.
      this.stopping = true;
      this.wake();
      await this.loop;
      await this.unlisten();
      throw error;
    }
    this.purgeTimer = setInterval(() => void this.purgeInbox(), PURGE_EVERY_MS).unref();
    void this.purgeInbox();
    const unknown = this.budget.unknownLimits();
    if (unknown.length > 0) {
      const known = Object.keys(this.adapter.sendLimits ?? {}).join(', ') || 'none';
      this.log.warn({ platform: this.adapter.platform, unknown, known }, `send limits ${unknown.join(', ')} are not ${this.adapter.platform}'s (its limits: ${known}): ignored`);
    }
    this.log.info({ platform: this.adapter.platform, queue: this.queue, store: this.store.kind, worker: this.worker }, 'bot runner started');
  }

  /** Stop taking updates, let turns in flight finish (until the deadline), then stop working. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.purgeTimer);
    await this.adapter.stop().catch((error: unknown) => this.log.warn({ err: error }, 'adapter did not stop cleanly'));
    // A reply waiting for its send budget is not waited for: its message stays pending, its draft kept.
    this.stopSignal.abort();
    this.wake();
    const deadline = this.options.shutdownDeadlineMs ?? 30_000;
    const finished = await Promise.race([this.loop?.then(() => true), new Promise<false>((r) => setTimeout(r, deadline, false).unref())]);
    if (!finished) this.log.warn({ sessions: [...this.active.keys()] }, 'turns still running at the shutdown deadline: their messages stay pending for another worker');
    await this.unlisten?.();
    this.log.info('bot runner stopped');
  }

  /** The inbox keeps answered entries to recognise redeliveries; past the retention they only take space. */
  private async purgeInbox(): Promise<void> {
    const retention = this.options.inboxRetentionMs ?? 7 * 24 * 60 * 60 * 1000;
    try {
      const purged = await this.store.purgeInbox(new Date(Date.now() - retention));
      if (purged > 0) this.log.info({ purged }, 'purged old answered inbox entries');
    } catch (error) {
      this.log.warn({ err: error }, 'could not purge old inbox entries; trying again in an hour');
    }
    // Send budgets of chats quiet for an hour are full again: forgetting them changes nothing.
    await this.store.purgeSendBudgets(PURGE_EVERY_MS).catch((error: unknown) => this.log.warn({ err: error }, 'could not forget idle send budgets; trying again in an hour'));
  }

  /** True while this process still has work for the session: pending entries, or a turn in progress. */
  async isBusy(sessionId: string): Promise<boolean> {
    return this.active.has(sessionId) || (await this.store.pendingInboxSessions(1000, this.selection)).includes(sessionId);
  }

  /** The adapter's handler: decide, record durably, and return (the platform is acknowledged after this). */
  async receive(raw: InboundMessage): Promise<{ duplicate: boolean; inboxId?: number }> {
    const decision = decideAccess(raw, this.options.access ?? {});
    if (decision === 'ignore') return { duplicate: false };
    // Media shared in a group, not for the bot: a "cannot open it" reply there would answer every photo.
    if (!raw.isPrivate && !raw.addressed && unusableContent(raw, this.media.abilities)) {
      this.log.debug({ platform: raw.platform, chatId: raw.chatId, eventId: raw.eventId }, 'ignored a group message without text that was not addressed to the bot');
      return { duplicate: false };
    }
    const unusable = unusableIds(raw);
    if (unusable) {
      await this.refuse({ platform: raw.platform, botId: raw.botId, eventId: raw.eventId, reason: unusable });
      return { duplicate: false };
    }
    const message = storableMessage(raw);
    const sessionId = sessionKeyFor(message, this.options.sessionScope ?? 'chat');
    if (sessionId.length > MAX_SESSION_ID_LENGTH) {
      await this.refuse({ platform: raw.platform, botId: raw.botId, eventId: raw.eventId, reason: `its session id would be ${sessionId.length} characters long` });
      return { duplicate: false };
    }
    const entry = { sessionId, eventKey: eventKeyFor(message), queue: this.queue, payload: toInboxPayload(message) };
    if (decision === 'refuse') return this.refuseWithReply(entry, message, 'the sender is not on the allow list', NOT_AUTHORISED);
    if (message.text.length > MAX_INBOUND_TEXT) {
      return this.refuseWithReply(entry, message, `text of ${message.text.length} characters`, tooLong(message.text.length, MAX_INBOUND_TEXT));
    }
    // Nothing in it the bot can use yet (a voice message, a photo without a caption…): never a model call.
    const content = unusableContent(message, this.media.abilities);
    if (content) return this.refuseWithReply(entry, message, `unsupported content: ${content.kinds}`, content.reply, { content: content.kinds });
    // The platform says the file is over the limit: no download is tried.
    const oversized = this.media.oversized(message);
    if (oversized) {
      return this.refuseWithReply(entry, message, `${oversized.kind} of ${oversized.size} bytes, over the ${this.media.maxBytes} byte limit`, tooLargeReply(this.media.maxBytes, oversized.size));
    }
    const command = this.command(message.text);
    const { id, duplicate } = await this.store.enqueueInbox({ ...entry, solo: command !== undefined, followed: this.options.followed });
    if (duplicate) {
      this.log.debug({ sessionId, eventId: message.eventId }, 'duplicate event ignored');
      return { duplicate };
    }
    this.log.debug({ sessionId, inboxId: id, eventId: message.eventId }, 'received');
    if (command === 'stop') this.abortIfStopRequested(sessionId, true);
    this.wake();
    return { duplicate, ...(id === null ? {} : { inboxId: id }) };
  }

  /** Recorded as refused (so a redelivery is recognised), and the sender told once. */
  private async refuseWithReply(
    entry: { sessionId: string; eventKey: string; queue: string; payload: InboxPayload },
    message: InboundMessage,
    reason: string,
    reply: string,
    logFields: Record<string, unknown> = {},
  ): Promise<{ duplicate: boolean }> {
    const { id, duplicate } = await this.store.enqueueInbox({ ...entry, refused: reason });
    if (duplicate) return { duplicate };
    this.log.info({ sessionId: entry.sessionId, inboxId: id, eventId: message.eventId, reason, ...logFields, outcome: 'refused' }, 'message refused');
    // The platform waits for this answer (Slack for 3 s): the refusal goes only if the send budget has room now.
    const told = await this.budget.offer(message.replyTarget, () => this.adapter.send(message.replyTarget, reply)).catch((error: unknown) => {
      this.log.warn({ err: error, sessionId: entry.sessionId, inboxId: id }, 'could not tell the sender their message was refused');
      return undefined;
    });
    if (told?.sent === false) this.log.info({ sessionId: entry.sessionId, inboxId: id, waitMs: told.waitMs }, "the sender was not told their message was refused: the chat's send budget had no room");
    return { duplicate };
  }

  /** A platform event that can never be a message: recorded as refused, acknowledged, never retried. */
  private async refuse(event: RefusedEvent): Promise<void> {
    // Its ids are not to be trusted as keys: a digest names the event, and the entry lives outside every chat.
    const digest = createHash('sha256').update(`${event.platform}\n${event.botId}\n${event.eventId ?? ''}`).digest('hex').slice(0, 32);
    const { id, duplicate } = await this.store.enqueueInbox({
      sessionId: `${storableText(event.platform).slice(0, 32) || 'unknown'}:refused`,
      eventKey: `refused:${digest}`,
      queue: this.queue,
      payload: { platform: event.platform, eventId: event.eventId === undefined ? undefined : storableText(event.eventId).slice(0, MAX_PLATFORM_ID_LENGTH) },
      refused: storableText(event.reason),
    });
    if (!duplicate) this.log.warn({ inboxId: id, platform: event.platform, reason: event.reason, outcome: 'refused' }, 'refused an event that cannot be answered');
  }

  /** A reply the platform accepted and later could not deliver: noted on its reply part, and a warning. */
  private async undelivered(report: UndeliveredReport): Promise<void> {
    const messageId = storableText(report.messageId).slice(0, MAX_PLATFORM_ID_LENGTH);
    const reason = oneLine(storableText(report.reason));
    const inboxIds = await this.store.noteUndelivered(this.queue, messageId, reason);
    const fields = { ...report.details, platform: this.adapter.platform, messageId, reason, inboxIds };
    if (inboxIds.length > 0) this.log.warn(fields, 'the platform could not deliver a reply it had accepted');
    else this.log.warn(fields, 'the platform could not deliver a message of this bot that is no reply on record');
  }

  private onActivity(sessionId: string): void {
    if (this.active.get(sessionId)?.turn) this.abortIfStopRequested(sessionId, false);
    // A session skipped because another worker held it is worth another look now (a failing one keeps its back-off).
    if (this.retryAt.get(sessionId)?.delayMs === 0) this.retryAt.delete(sessionId);
    this.wake();
  }

  /** /stop overtakes the queue: the turn in progress is aborted as soon as the /stop is recorded. */
  private abortIfStopRequested(sessionId: string, known: boolean): void {
    const held = this.active.get(sessionId);
    if (!held?.turn || !held.session) return;
    const check = known
      ? Promise.resolve(true)
      : held.session.pendingInbox(50).then((entries) =>
          entries.some((e) => {
            const read = readInboxPayload(e.payload);
            return read.ok && this.command(read.message.text) === 'stop';
          }),
        );
    void check.then(
      (stop) => {
        if (stop && held.turn && !held.turn.signal.aborted) {
          held.stopped = true;
          held.turn.abort();
        }
      },
      // The turn goes on; the /stop entry is answered in its turn anyway.
      (error: unknown) => this.log.debug({ err: error, sessionId }, 'could not look for a /stop'),
    );
  }

  private async workLoop(): Promise<void> {
    const concurrency = this.options.concurrency ?? 4;
    const inFlight = new Set<Promise<boolean>>();
    while (!this.stopping) {
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.options.pollIntervalMs ?? 1_000).unref();
      });
      if (this.active.size < concurrency) {
        const candidates = await this.store.pendingInboxSessions(concurrency * 4, this.selection).catch((error: unknown) => {
          this.log.error({ err: error }, 'could not look for pending messages; looking again soon');
          return [] as string[];
        });
        for (const sessionId of candidates) {
          if (this.stopping || this.active.size >= concurrency) break;
          if (this.active.has(sessionId) || (this.retryAt.get(sessionId)?.at ?? 0) > Date.now()) continue;
          const work = this.claim(sessionId);
          inFlight.add(work);
          void work.then((claimed) => {
            inFlight.delete(work);
            // A freed slot may take the next session at once; a session another worker holds waits for a
            // notification or the next poll (retrying it at once would spin, on SQLite without ever yielding).
            if (claimed) this.wake();
          });
        }
      }
      await woken;
    }
    await Promise.all(inFlight);
  }

  /** Work on a session if no other worker holds it; resolves when done with it (false: another worker held it). */
  private async claim(sessionId: string): Promise<boolean> {
    const held: HeldSession = {};
    this.active.set(sessionId, held);
    const asked = performance.now();
    try {
      await this.store.withSessionLock(
        sessionId,
        async (session) => {
          this.metrics.lockWait(secondsSince(asked));
          held.session = session;
          await this.drain(session, held);
        },
        // The first turn's window comes with the lock (one round trip less on Postgres).
        { waitMs: 0, preload: this.options.engine.window },
      );
      this.retryAt.delete(sessionId);
      return true;
    } catch (error) {
      if (error instanceof SessionBusyError) {
        this.metrics.sessionBusy();
        this.retryAt.set(sessionId, { at: Date.now() + (this.options.pollIntervalMs ?? 1_000), delayMs: 0 });
        return false;
      }
      // The database failed under the turn (or the lock was lost): the entries stay pending, attempts counted, and
      // this worker leaves the session alone for a while (doubling up to 30 s) rather than spinning on it.
      const delayMs = Math.min((this.retryAt.get(sessionId)?.delayMs || 250) * 2, 30_000);
      this.retryAt.set(sessionId, { at: Date.now() + delayMs, delayMs });
      this.log.error({ err: error, sessionId, retryInMs: delayMs }, 'lost the session to a database failure; its messages stay pending');
      return true;
    } finally {
      this.active.delete(sessionId);
    }
  }

  /** Answer the session's entries one batch at a time; "nothing left" and the release happen under the lock. */
  private async drain(chat: LockedSession, held: HeldSession): Promise<void> {
    while (!this.stopping) {
      const claimed = await chat.claimInbox(this.options.queueMode === 'collect' ? 50 : 1, this.worker);
      if (claimed.length === 0) return;
      const batch = await this.readable(chat, held, claimed);
      if (batch.length > 0) await this.work(chat, held, batch);
    }
  }

  /**
   * The claimed entries as messages. An entry whose payload does not read (a newer release's version, a broken
   * shape) is dead-lettered on its own, now: no attempt could ever read it, and the entries around it go on.
   */
  private async readable(chat: LockedSession, held: HeldSession, claimed: InboxEntry[]): Promise<InboxEntry<InboundMessage>[]> {
    const batch: InboxEntry<InboundMessage>[] = [];
    for (const entry of claimed) {
      const read = readInboxPayload(entry.payload);
      if (read.ok) {
        batch.push({ ...entry, payload: read.message });
        continue;
      }
      const log = this.log.child({ sessionId: chat.sessionId, inbox: [entry.id] });
      const failure: Failure = { errorClass: 'permanent', source: 'internal', reason: read.reason, userText: UNREADABLE };
      await this.deadLetter(chat, held, [entry], read.replyTarget, failure, 'claimed', log);
      this.metrics.turnEnded('dead', 0, 1);
    }
    return batch;
  }

  /** One claimed batch to its fate, logged in one line at info level. */
  private async work(chat: LockedSession, held: HeldSession, batch: InboxEntry<InboundMessage>[]): Promise<void> {
    const started = Date.now();
    // Every line about these messages names them and their session.
    const log: Logger = this.log.child({ sessionId: chat.sessionId, inbox: batch.map((e) => e.id) });
    const progress: { stage: Stage } = { stage: 'claimed' };
    log.debug({ attempts: batch.map((e) => e.attempts) }, 'claimed');
    const state = await this.chatState(chat, held);
    // A batch's reply (or apology) goes where its last message asks.
    const replyTarget = batch.at(-1)!.payload.replyTarget;
    let outcome: string;
    let reply: TurnReply | undefined;
    try {
      if (batch.some((e) => e.attempts > this.maxAttempts)) {
        // Claimed that often without an outcome: every attempt died with its worker (or its connection).
        const failure: Failure = { errorClass: 'permanent', source: 'internal', reason: `no attempt finished in ${this.maxAttempts} tries (each one ended with its worker or its database connection)` };
        outcome = await this.deadLetter(chat, held, batch, replyTarget, failure, progress.stage, log);
      } else if (state.unreachable && batch.every((e) => e.id <= state.unreachable!.throughInboxId)) {
        outcome = await this.deadLetter(chat, held, batch, replyTarget, { errorClass: 'permanent', source: 'platform', reason: `the chat is unreachable: ${state.unreachable.reason}`, unreachable: true }, progress.stage, log);
      } else {
        if (state.unreachable) await this.markReachable(chat, held);
        const command = this.command(batch[0].payload.text);
        if (command) {
          progress.stage = 'delivering';
          const { engine } = this.options;
          const text = await commandReply(command, { store: this.store, chat, state, agentName: engine.name, modelName: engine.model.model, stopped: held.stopped === true, adapterHelp: this.adapter.commandHelp });
          if (command === 'stop') held.stopped = false;
          const target = batch[0].payload.replyTarget;
          await this.budget.deliver(target, () => this.adapter.send(target, text));
          progress.stage = 'committing';
          await chat.completeInbox([batch[0].id], 'done');
          outcome = 'answered';
        } else {
          held.turn = new AbortController();
          held.stopped = false;
          const turnReply = (reply = this.pipeline.replyFor(chat, batch));
          const signal = held.turn.signal;
          outcome = await this.withConversation(chat, state.conversation, (conversation) =>
            this.pipeline.run({ chat, conversation, batch, signal, log, progress }, turnReply),
          );
        }
      }
    } catch (error) {
      outcome = await this.settle(chat, held, batch, error, progress.stage, log, reply);
    } finally {
      held.turn = undefined;
    }
    log.info({ entries: batch.length, attempt: Math.max(...batch.map((e) => e.attempts)), durationMs: Date.now() - started, outcome }, `turn ${outcome}`);
    this.metrics.turnEnded(outcome, (Date.now() - started) / 1000, batch.length);
  }

  /**
   * A failure, settled once: transient ones wait in the database for the next attempt (unless attempts are spent);
   * permanent ones dead-letter the batch now. A database failure is not settled here: nothing could be recorded, so
   * the entries stay pending as they are.
   */
  private async settle(
    chat: LockedSession,
    held: HeldSession,
    batch: InboxEntry<InboundMessage>[],
    error: unknown,
    stage: Stage,
    log: Logger,
    reply: TurnReply | undefined,
  ): Promise<string> {
    const failure = classifyFailure(error);
    if (failure.source === 'database') throw error;
    const attempts = Math.max(...batch.map((e) => e.attempts));
    // A transient LLM failure reaching here has spent its retry window already. A platform's rate limit says nothing
    // about the message: it waits as long as it takes, its attempt not counted (a reply is never dropped for it).
    const rateLimited = failure.rateLimited === true && failure.source === 'platform';
    if (failure.errorClass === 'transient' && failure.source !== 'llm' && (attempts < this.maxAttempts || rateLimited)) {
      await reply?.abandon();
      const delayMs = backoffMs(attempts, failure.retryAfterMs, this.options.attemptRetry ?? ATTEMPT_RETRY);
      await chat.deferInbox(batch.map((e) => e.id), ledgerFailure(failure, stage), new Date(Date.now() + delayMs), { refundAttempt: rateLimited });
      log.warn({ err: error, stage, retryInMs: delayMs, source: failure.source, ...(rateLimited ? { rateLimited } : {}) }, 'attempt failed for now; trying again later');
      return 'deferred';
    }
    return this.deadLetter(chat, held, batch, batch.at(-1)!.payload.replyTarget, failure, stage, log, reply);
  }

  /**
   * The final fate of a batch nobody can answer: dead, with the user told in plain words at `target` when they can be
   * reached (with no target, only the ledger and the log say it).
   */
  private async deadLetter(
    chat: LockedSession,
    held: HeldSession,
    batch: InboxEntry[],
    target: ReplyTarget | undefined,
    failure: Failure,
    stage: Stage,
    log: Logger,
    reply?: TurnReply,
  ): Promise<string> {
    await reply?.abandon(CUT_SHORT);
    await chat.completeInbox(batch.map((e) => e.id), 'dead', ledgerFailure(failure, stage));
    log.warn({ stage, source: failure.source, reason: failure.reason, ...(target ? {} : { told: false }) }, 'message dead-lettered');
    if (failure.unreachable) {
      await this.markUnreachable(chat, held, failure.reason);
      return 'dead';
    }
    if (!target) return 'dead';
    const text = failure.userText ?? gaveUp(failure, { attempts: Math.min(this.maxAttempts, Math.max(...batch.map((e) => e.attempts))), llmRetryWindowMs: this.llmRetryWindowMs });
    try {
      await this.budget.deliver(target, () => this.adapter.send(target, text));
      await chat.recordNotice(batch[0].id, text);
    } catch (error) {
      log.error({ err: error }, 'could not tell the user their message was given up on');
    }
    return 'dead';
  }

  /** No LLM calls for a chat the platform will not deliver to, until it writes again. */
  private async markUnreachable(chat: LockedSession, held: HeldSession, reason: string): Promise<void> {
    const pending = await chat.pendingInbox(1000);
    const mark: UnreachableMark = { reason, since: new Date().toISOString(), throughInboxId: Math.max(0, ...pending.map((e) => e.id)) };
    await chat.updateMetadata({ unreachable: mark });
    if (held.chat) held.chat.unreachable = mark;
  }

  private async markReachable(chat: LockedSession, held: HeldSession): Promise<void> {
    await chat.updateMetadata({ unreachable: null });
    if (held.chat) held.chat.unreachable = undefined;
  }

  /** The chat's active conversation (after /new) and reachability, read once per claim. */
  private async chatState(chat: LockedSession, held: HeldSession): Promise<NonNullable<HeldSession['chat']>> {
    if (!held.chat) {
      const metadata = (await this.store.getSession(chat.sessionId))?.metadata ?? {};
      const unreachable = metadata.unreachable as UnreachableMark | null | undefined;
      held.chat = {
        conversation: typeof metadata.conversation === 'string' ? metadata.conversation : chat.sessionId,
        ...(unreachable ? { unreachable } : {}),
      };
    }
    return held.chat;
  }

  /** Run `fn` on the conversation the chat points at, holding its lock too when it is another session. */
  private withConversation<T>(chat: LockedSession, conversation: string, fn: (session: LockedSession) => Promise<T>): Promise<T> {
    return conversation === chat.sessionId ? fn(chat) : this.store.withSessionLock(conversation, fn);
  }
}

function ledgerFailure(failure: Failure, stage: Stage): AttemptFailure {
  return { stage, errorClass: failure.errorClass, error: failure.reason };
}
