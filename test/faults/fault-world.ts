import { expect } from 'vitest';
import { defaultHandler, type FakeHandler, type FakeReply } from '../fakes/fake-openai-server.js';
import { postWebhookUpdate, type TextMessageUpdate } from '../fakes/fake-telegram-server.js';
import { pgTestUrl } from '../support/databases.js';
import type { InboxTimeline } from '../../src/store/types.js';
import { chatSession, loggedErrors, pairs, startWorker, startWorld, stopWorker, textsIn, WEBHOOK_SECRET, withStore, type Worker, type World } from '../telegram/bot-harness.js';

/*
 * A Telegram deployment under faults, for real: `threadline bot telegram` webhook workers (compiled CLI, child
 * processes) on Postgres, the fake LLM and fake Bot API failing on cue, and the test playing Telegram, which
 * posts each update to one of the workers and posts it again as long as it is not answered 2xx.
 */

export interface FaultWorld extends World {
  workers: Worker[];
}

export interface FaultWorldOptions {
  handler?: FakeHandler;
  /** Webhook workers behind "Telegram" (default 2: a fate must not depend on which worker took the message). */
  workers?: number;
  /** CLI flags every worker gets (`--llm-retry-window 3`, `--no-stream`…). */
  args?: string[];
  /** Pace sends by Telegram's rate limits (default off: see `WorkerOptions.sendLimits`). */
  sendLimits?: boolean;
}

/**
 * `label` names the test's schema: keep it short (≤ 13 characters, so every name fits). The store names its prepared statements
 * `threadline:<schema>:<statement>`, and past Postgres's 63 characters the names are truncated, warned about on
 * stderr, and can collide (a schema of 39 characters or more makes `pendingInbox` and `pendingInboxSessions` one).
 */
export async function startFaultWorld(label: string, options: FaultWorldOptions = {}): Promise<FaultWorld> {
  const world = await startWorld(pgTestUrl(label), options.handler);
  try {
    // Migrated once, so the workers do not race to create the schema.
    await withStore(world.db, async () => {});
    const workers = await Promise.all(Array.from({ length: options.workers ?? 2 }, () => startWorker(world, { webhook: true, args: options.args, sendLimits: options.sendLimits })));
    return { ...world, workers };
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** The bot id the fake Bot API answers getMe with: part of every session id and event key. */
const BOT_ID = 7_000_000_001;

export const eventKey = (update: TextMessageUpdate) => `telegram:${BOT_ID}:${update.update_id}`;

const REDELIVERY_PAUSE_MS = 200;
const MAX_DELIVERIES = 25;

/**
 * Posts an update as Telegram does: to a worker picked at random, again (to one picked afresh) after a pause for
 * as long as the answer is not 2xx. Resolves once a worker has acknowledged it.
 */
export async function deliver(world: FaultWorld, update: TextMessageUpdate): Promise<void> {
  const answers: string[] = [];
  for (let delivery = 0; delivery < MAX_DELIVERIES; delivery++) {
    const worker = world.workers[Math.floor(Math.random() * world.workers.length)];
    const { status, body } = await postWebhookUpdate(worker.webhookUrl!, update, WEBHOOK_SECRET);
    if (status >= 200 && status < 300) return;
    answers.push(`${status} ${body}`);
    await new Promise((resolve) => setTimeout(resolve, REDELIVERY_PAUSE_MS));
  }
  throw new Error(`update ${update.update_id} not acknowledged after ${MAX_DELIVERIES} deliveries: ${answers.join('; ')}`);
}

/** A user of chat `chatId` (a private chat: the user id is the chat id) sends `text`; resolves once acknowledged. */
export async function say(world: FaultWorld, chatId: number, text: string): Promise<TextMessageUpdate> {
  const update = world.tg.textUpdate({ chatId, userId: chatId, text });
  await deliver(world, update);
  return update;
}

/** Several chats at once, each sending its texts in order, each after the previous one was acknowledged. */
export async function sayInChats(world: FaultWorld, texts: Map<number, string[]>): Promise<Map<number, TextMessageUpdate[]>> {
  const sent = await Promise.all(
    [...texts].map(async ([chatId, chatTexts]) => {
      const updates: TextMessageUpdate[] = [];
      for (const text of chatTexts) updates.push(await say(world, chatId, text));
      return [chatId, updates] as const;
    }),
  );
  return new Map(sent);
}

/**
 * Waits until every update has its final fate in the inbox (nothing pending), and returns their ledgers. A reply is
 * on screen in full by then (delivered before its turn commits; a streamed reply's first part shows long before, so
 * counting a chat's messages would not do). An apology is sent after its entry is dead-lettered: with `told`, also
 * waits until every dead entry has its notice recorded (it is recorded once delivered).
 */
export async function fatesOf(world: FaultWorld, updates: TextMessageUpdate[], options: { told?: boolean; timeoutMs?: number } = {}): Promise<InboxTimeline[]> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  const final = (t: InboxTimeline | null) => t !== null && t.entry.status !== 'pending' && (!options.told || t.entry.status !== 'dead' || t.notices.length > 0);
  return withStore(world.db, async (store) => {
    for (;;) {
      const timelines = await Promise.all(updates.map((u) => store.inboxTimeline(eventKey(u))));
      if (timelines.every(final)) return timelines as InboxTimeline[];
      if (Date.now() > deadline) {
        const where = timelines.map((t, i) => `${updates[i].message.text}: ${t?.entry.status ?? 'not recorded'} after ${t?.entry.attempts ?? 0} attempts, ${t?.notices.length ?? 0} notices`);
        throw new Error(`messages without a final fate after ${timeoutMs} ms: ${where.join('; ')}\n${workerWarnings(world)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

/** Every update of `sayInChats` rounds, in one list. */
export const allUpdates = (...rounds: Array<Map<number, TextMessageUpdate[]>>) => rounds.flatMap((round) => [...round.values()].flat());

/** The first line matching `pattern` logged by any worker (JSON lines; stages show at `--log-level debug`). */
export const workerLogged = (world: FaultWorld, pattern: RegExp, timeoutMs = 20_000) => Promise.any(world.workers.map((w) => w.proc.waitForLine(pattern, timeoutMs)));

/** The last warnings and errors of every worker, for a failure message. */
function workerWarnings(world: FaultWorld): string {
  return world.workers.map((w, i) => `worker ${i}:\n${w.proc.stdoutLines.filter((l) => /"level":[4-6]\d/.test(l)).slice(-10).join('\n')}`).join('\n');
}

/** What the fake LLM answers when healthy, for the `turn`th answered turn of a chat (0-based). */
export const replyTo = (text: string, turn: number) => `reply to: ${text} (saw ${2 * turn + 2} messages)`;

/** The one apology of a message given up on (`user-notices.ts`). */
export const APOLOGY = /^⚠️ Sorry, I could not answer your message/;

/** The texts each chat sent, in order, over several `sayInChats` rounds. */
export function sentByChat(...rounds: Array<Map<number, TextMessageUpdate[]>>): Map<number, string[]> {
  const byChat = new Map<number, string[]>();
  for (const [chatId, updates] of rounds.flatMap((round) => [...round])) byChat.set(chatId, [...(byChat.get(chatId) ?? []), ...updates.map((u) => u.message.text)]);
  return byChat;
}

/**
 * Chat `chatId` shows `shownBefore` (apologies, say), then exactly one reply to each of `answered`, in order, and its
 * stored history is exactly those turns (dead messages are not in it: the model never saw them again).
 */
export async function expectAnswered(world: FaultWorld, chatId: number, answered: string[], shownBefore: unknown[] = []): Promise<void> {
  const replies = answered.map((text, turn) => replyTo(text, turn));
  expect(textsIn(world.tg, chatId)).toEqual([...shownBefore, ...replies]);
  await withStore(world.db, async (store) => {
    expect(pairs(await store.fullHistory(chatSession(chatId)))).toEqual(answered.flatMap((text, i) => [['user', text], ['assistant', replies[i]]]));
  });
}

/** sendMessage calls to `chatId` that Telegram accepted. */
export const deliveredSends = (world: FaultWorld, chatId: number) =>
  world.tg.calls.filter((c) => c.method === 'sendMessage' && String(c.params.chat_id) === String(chatId) && c.error === undefined);

/** The fake LLM down with `fault` from `begin()` until `end()` (or for `ms`), healthy otherwise. */
export function llmOutage(fault: FakeReply) {
  let until = 0;
  return {
    handler: ((request) => (Date.now() < until ? fault : defaultHandler(request))) satisfies FakeHandler,
    /** Returns when the outage will end. */
    begin(ms = Infinity): number {
      until = Date.now() + ms;
      return until;
    },
    /** Returns when it ended. */
    end(): number {
      until = 0;
      return Date.now();
    },
  };
}

/**
 * No worker died on the faults; each stops gracefully (exit 0) on SIGTERM; and none logged an error (or wrote to
 * stderr) but those `expectedErrors` matches: a fault is handled, not merely survived.
 */
export async function expectWorkersSurvivedAndStop(world: FaultWorld, expectedErrors?: RegExp): Promise<void> {
  for (const { proc } of world.workers) {
    expect({ exitCode: proc.child.exitCode, signal: proc.child.signalCode }, proc.stderrText.slice(-2000)).toEqual({ exitCode: null, signal: null });
  }
  await Promise.all(world.workers.map(stopWorker));
  const unexpected = world.workers.flatMap(loggedErrors).filter((line) => !expectedErrors?.test(line));
  expect(unexpected).toEqual([]);
}
