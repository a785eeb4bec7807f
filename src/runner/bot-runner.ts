import type { Agent } from '../core/agent.js';
import { LlmError } from '../core/llm/chat-model.js';
import { TurnAbortedError } from '../core/turn-errors.js';
import type { Logger } from '../log.js';
import { SessionBusyError } from '../store/errors.js';
import type { HistoryStore, InboxEntry, LockedSession, NewMessage } from '../store/types.js';
import { decideAccess, type AccessOptions } from './access-policy.js';
import { helpText, parseCommand, type CommandName } from './commands.js';
import type { InboundMessage, PlatformAdapter, RefusedEvent } from './platform-adapter.js';
import { ReplyStream } from './reply-stream.js';
import { eventKeyFor, sessionKeyFor, type SessionScope } from './session-key.js';

/** `sequential`: messages that arrive mid-turn are answered one by one, in order; `collect`: together, in one turn. */
export type QueueMode = 'sequential' | 'collect';

export interface BotRunnerOptions {
  store: HistoryStore;
  /** Runs the turns; its own session id is not used (each chat has its own). */
  agent: Agent;
  adapter: PlatformAdapter;
  logger: Logger;
  /** Shown by /status. */
  modelName: string;
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
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** A session this process works on: its lock handle, and the turn in progress with its abort switch. */
interface HeldSession {
  session?: LockedSession;
  turn?: AbortController;
  /** The turn in progress was aborted by /stop (the /stop entry then says "Stopped."). */
  stopped?: boolean;
  /** The chat's active conversation, read once per claim: only the lock holder changes it (/new). */
  conversation?: string;
}

/** Longest inbound text accepted; longer messages get a short refusal and are not stored. */
export const MAX_INBOUND_TEXT = 16_000;

const NOT_AUTHORISED = 'Sorry, you are not authorised to use this bot.';

/**
 * The pipeline every adapter feeds. Inbound: access check → durable inbox (duplicates stop here) → acknowledge.
 * Workers: take a session with pending entries that no other worker holds (its lock, without waiting), answer
 * its entries in order, each turn committed together with its entries, then release it. A worker that dies
 * loses its connection and with it the lock; its entries are still pending, and another worker answers them.
 */
export class BotRunner {
  private readonly store: HistoryStore;
  private readonly adapter: PlatformAdapter;
  private readonly log: Logger;
  /** Sessions this process holds. */
  private readonly active = new Map<string, HeldSession>();
  private stopping = false;
  /** Sessions whose last attempt failed (e.g. the database was away), and when to try them again. */
  private readonly retryAt = new Map<string, { at: number; delayMs: number }>();
  private wake: () => void = () => {};
  private loop?: Promise<void>;
  private unlisten?: () => Promise<void>;
  private purgeTimer?: NodeJS.Timeout;

  /** Runners of other platforms on the same database leave this platform's entries alone. */
  private get queue(): string {
    return this.adapter.queue ?? this.adapter.platform;
  }

  constructor(private readonly options: BotRunnerOptions) {
    this.store = options.store;
    this.adapter = options.adapter;
    this.log = options.logger;
  }

  async start(): Promise<void> {
    this.unlisten = await this.store.onInboxActivity((sessionId) => this.onActivity(sessionId));
    this.loop = this.workLoop();
    try {
      await this.adapter.start({ receive: (message) => this.receive(message), refuse: async (event) => this.refuse(event) });
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
    this.log.info({ platform: this.adapter.platform, store: this.store.kind }, 'bot runner started');
  }

  /** Stop taking updates, let turns in flight finish (until the deadline), then stop working. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.purgeTimer);
    await this.adapter.stop().catch((error: unknown) => this.log.warn({ err: error }, 'adapter did not stop cleanly'));
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
      this.log.warn({ err: error }, 'could not purge old inbox entries');
    }
  }

  /** True while this process still has work for the session: pending entries, or a turn in progress. */
  async isBusy(sessionId: string): Promise<boolean> {
    return this.active.has(sessionId) || (await this.store.pendingInboxSessions(1000, this.queue)).includes(sessionId);
  }

  /** The adapter's handler: decide, record durably, and return (the platform is acknowledged after this). */
  async receive(message: InboundMessage): Promise<{ duplicate: boolean }> {
    const decision = decideAccess(message, this.options.access ?? {});
    if (decision === 'ignore') return { duplicate: false };
    if (decision === 'refuse') {
      await this.adapter.send(message.replyTarget, NOT_AUTHORISED).catch((error: unknown) => this.log.warn({ err: error }, 'could not send refusal'));
      return { duplicate: false };
    }
    if (message.text.length > MAX_INBOUND_TEXT) {
      await this.adapter
        .send(message.replyTarget, `That message is too long (${message.text.length} characters; the limit is ${MAX_INBOUND_TEXT}).`)
        .catch(() => {});
      return { duplicate: false };
    }
    const sessionId = sessionKeyFor(message, this.options.sessionScope ?? 'chat');
    const { duplicate } = await this.store.enqueueInbox({ sessionId, eventKey: eventKeyFor(message), queue: this.queue, payload: message });
    if (duplicate) {
      this.log.debug({ sessionId, eventId: message.eventId }, 'duplicate event ignored');
      return { duplicate };
    }
    if (parseCommand(message.text) === 'stop') this.abortIfStopRequested(sessionId, true);
    this.wake();
    return { duplicate };
  }

  /** A malformed platform event: acknowledged, never retried. */
  private refuse(event: RefusedEvent): void {
    this.log.warn({ platform: event.platform, eventId: event.eventId, reason: event.reason }, 'refused a malformed event');
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
      : held.session.pendingInbox(50).then((entries) => entries.some((e) => parseCommand((e.payload as InboundMessage).text) === 'stop'));
    void check.then(
      (stop) => {
        if (stop && held.turn && !held.turn.signal.aborted) {
          held.stopped = true;
          held.turn.abort();
        }
      },
      () => {},
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
        const candidates = await this.store.pendingInboxSessions(concurrency * 4, this.queue).catch((error: unknown) => {
          this.log.error({ err: error }, 'could not look for pending messages');
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
    try {
      await this.store.withSessionLock(
        sessionId,
        async (session) => {
          held.session = session;
          await this.drain(session, held);
        },
        { waitMs: 0 },
      );
      this.retryAt.delete(sessionId);
      return true;
    } catch (error) {
      if (error instanceof SessionBusyError) {
        this.retryAt.set(sessionId, { at: Date.now() + (this.options.pollIntervalMs ?? 1_000), delayMs: 0 });
        return false;
      }
      // Back off (doubling up to a minute) so a failing session does not spin; its messages stay pending.
      const delayMs = Math.min((this.retryAt.get(sessionId)?.delayMs || 500) * 2, 60_000);
      this.retryAt.set(sessionId, { at: Date.now() + delayMs, delayMs });
      this.log.error({ err: error, sessionId, retryInMs: delayMs }, 'turn failed; its messages stay pending');
      return true;
    } finally {
      this.active.delete(sessionId);
    }
  }

  /** Answer the session's entries one turn at a time; "no entry left" and the release happen under the lock. */
  private async drain(session: LockedSession, held: HeldSession): Promise<void> {
    while (!this.stopping) {
      const entries = (await session.pendingInbox(this.options.queueMode === 'collect' ? 50 : 1)) as InboxEntry<InboundMessage>[];
      if (entries.length === 0) return;
      const command = parseCommand(entries[0].payload.text);
      if (command) {
        await this.runCommand(session, entries[0], command, held);
        continue;
      }
      const firstCommand = entries.findIndex((e) => parseCommand(e.payload.text));
      const batch = firstCommand === -1 ? entries : entries.slice(0, firstCommand);
      held.turn = new AbortController();
      held.stopped = false;
      try {
        await this.answer(session, batch, held);
      } finally {
        held.turn = undefined;
      }
    }
  }

  private async answer(chat: LockedSession, batch: InboxEntry<InboundMessage>[], held: HeldSession): Promise<void> {
    const messages = batch.map((e) => e.payload);
    const last = messages[messages.length - 1];
    const input: NewMessage[] = messages.map((m) => ({
      role: 'user',
      content: m.text,
      // In groups the model must know who said what.
      ...(m.isPrivate ? {} : { name: m.userName ?? m.userId }),
    }));
    const reply = new ReplyStream(this.adapter, last.replyTarget, chat, batch[0], {
      stream: (this.options.stream ?? true) && this.adapter.canEdit !== false,
      editIntervalMs: Math.max(this.options.editIntervalMs ?? 700, this.adapter.minEditIntervalMs ?? 0),
    });
    const conversation = await this.activeConversation(chat, held);
    const turn = (session: LockedSession) =>
      this.options.agent.runTurn(session, input, {
        onText: (delta) => reply.push(delta),
        signal: held.turn?.signal,
        // The complete reply reaches the platform before the turn commits: should this worker die in between, the
        // entry is still pending with its reply parts recorded, and the retry edits the same messages.
        beforeCommit: (text) => reply.finish(text.trim() === '' ? '(no reply)' : text),
        appendOptions: {
          completeInbox: batch.map((e) => e.id),
          metadata: { platform: last.platform, chatId: last.chatId, ...(last.isPrivate ? { userId: last.userId } : {}) },
        },
      });
    try {
      await (conversation === chat.sessionId ? turn(chat) : this.store.withSessionLock(conversation, turn));
    } catch (error) {
      // /stop answers for itself; the partial reply on screen is marked as cut short.
      await reply.abandon(error instanceof TurnAbortedError ? ' … (stopped)' : undefined);
      if (error instanceof TurnAbortedError) return;
      if (error instanceof LlmError) {
        this.log.warn({ err: error, sessionId: chat.sessionId }, 'LLM call failed; the message is kept');
        await this.adapter
          .send(last.replyTarget, `⚠️ I could not get an answer from the model (${error.message}). Your message is saved; please try again later.`)
          .catch(() => {});
        return;
      }
      throw error;
    }
  }

  /** After /new the chat points at a fresh conversation; the old one stays in the store. */
  private async activeConversation(chat: LockedSession, held: HeldSession): Promise<string> {
    if (held.conversation === undefined) {
      const pointer = (await this.store.getSession(chat.sessionId))?.metadata.conversation;
      held.conversation = typeof pointer === 'string' ? pointer : chat.sessionId;
    }
    return held.conversation;
  }

  private async runCommand(
    session: LockedSession,
    entry: InboxEntry<InboundMessage>,
    command: CommandName,
    held: HeldSession,
  ): Promise<void> {
    const message = entry.payload;
    const conversation = await this.activeConversation(session, held);
    let text: string;
    switch (command) {
      case 'start':
        text = `Hi! I'm ${this.options.agent.name}. Send me a message to talk; /help lists the commands.`;
        break;
      case 'help':
        text = helpText();
        break;
      case 'new': {
        const fresh = `${session.sessionId}~${Date.now().toString(36)}`;
        await session.updateMetadata({ conversation: fresh });
        held.conversation = fresh;
        text = `Started a new conversation. The previous one is kept as ${conversation}.`;
        break;
      }
      case 'status': {
        const info = await this.store.getSession(conversation);
        text = `Session: ${conversation}\nMessages: ${info?.messageCount ?? 0}\nModel: ${this.options.modelName}`;
        break;
      }
      case 'history':
        text = await this.historySummary(conversation);
        break;
      case 'stop':
        text = held.stopped ? 'Stopped. Nothing of that reply was kept.' : 'Nothing to stop.';
        held.stopped = false;
        break;
    }
    await this.adapter.send(message.replyTarget, text);
    await session.completeInbox([entry.id], 'done');
  }

  private async historySummary(conversation: string): Promise<string> {
    const info = await this.store.getSession(conversation);
    if (!info || info.messageCount === 0) return 'This conversation is empty.';
    const recent = (await this.store.loadWindow(conversation, { maxMessages: 6 })).filter((m) => m.role === 'user' || m.role === 'assistant');
    const lines = recent.map((m) => `${m.role === 'user' ? (m.name ?? 'you') : 'bot'}: ${truncate(m.content ?? '', 80)}`);
    return [`${info.messageCount} messages since ${info.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Latest:`, ...lines].join('\n');
  }
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
