import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { LlmError, type AssistantReply, type ChatModel, type ChatRequest } from '../../src/core/llm/chat-model.js';
import { OpenAIChatModel } from '../../src/core/llm/openai-chat-model.js';
import { OpenAITranscriber } from '../../src/core/llm/transcriber.js';
import { TurnEngine } from '../../src/core/turn-engine.js';
import { BotRunner, type BotRunnerOptions } from '../../src/runner/bot-runner.js';
import type { DeliveryFault, InboundMessage, InboundSink, PlatformAdapter, ReplyTarget, SendScope } from '../../src/runner/platform-adapter.js';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { sqliteTestFile } from '../support/databases.js';

/**
 * An in-process bot world for the runner's fate rules: a scripted model and a scripted platform that fail on cue,
 * on a real SQLite store. Fast, and exact about what reached the "platform" and the model.
 */

/** One model call's behaviour: an answer (streamed word by word, `chunkMs` apart, when given), or an error to throw. */
export type ModelStep = { text: string; delayMs?: number; chunkMs?: number } | { error: LlmError };

export class ScriptedModel implements ChatModel {
  readonly model = 'scripted';
  readonly calls: string[] = [];
  /** Steps for the next calls, in order; when empty, calls answer `re: <last user text>`. */
  readonly steps: ModelStep[] = [];

  async *stream(request: ChatRequest): AsyncGenerator<string, AssistantReply, void> {
    const last = String(request.messages.findLast((m) => m.role === 'user')?.content ?? '');
    this.calls.push(last);
    const step = this.steps.shift() ?? { text: `re: ${last}` };
    if ('error' in step) throw step.error;
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (request.signal?.aborted) throw new LlmError('aborted', { failure: 'aborted' });
    if (step.chunkMs === undefined) yield step.text;
    else {
      for (const word of step.text.split(/(?<= )/)) {
        await new Promise((r) => setTimeout(r, step.chunkMs));
        if (request.signal?.aborted) throw new LlmError('aborted', { failure: 'aborted' });
        yield word;
      }
    }
    return { content: step.text, toolCalls: [] };
  }
}

/** What the scripted platform throws: the fault travels on the error, the way an SDK error carries its code. */
class PlatformRefusal extends Error {
  constructor(readonly fault: DeliveryFault) {
    super(fault.reason);
  }
}

export interface PlatformRule {
  op: 'send' | 'edit';
  /** Only texts matching this (default: every text). */
  text?: RegExp;
  fault: DeliveryFault;
  /** How many calls fail (default: all). */
  times?: number;
}

/** A private message of the scripted platform, as its adapter would normalise it. */
export const inbound = (chatId: string, eventId: string, text: string): InboundMessage => ({
  platform: 'scripted',
  botId: 'bot',
  chatId,
  userId: chatId,
  eventId,
  text,
  isPrivate: true,
  addressed: true,
  replyTarget: { chatId },
});

export class ScriptedPlatform implements PlatformAdapter {
  readonly platform = 'scripted';
  readonly textLimit = 4096;
  readonly canEdit = true;
  readonly minEditIntervalMs = 0;
  readonly rules: PlatformRule[] = [];
  /** Messages on screen by id, as they read now. */
  readonly messages = new Map<string, { chatId: string; text: string }>();
  /** Every send and edit, with when it reached the platform (Date.now()). */
  readonly calls: Array<{ op: 'send' | 'edit'; chatId: string; text: string; at: number; failed?: string }> = [];
  /** Formats like a platform with its own markup, so "retry as plain text" is visible. */
  formatText?: (markdown: string) => string;
  private inbox?: InboundSink;
  private nextId = 1;
  private nextEvent = 1;

  /**
   * With a bot id, the platform says who it is (its runner's queue is then `scripted:<bot id>`) and its messages
   * carry it; without one it names no bot (the queue is `scripted`) and its messages say `bot`.
   */
  constructor(readonly botId?: string) {}

  async start(inbox: InboundSink): Promise<void> {
    this.inbox = inbox;
  }

  async stop(): Promise<void> {}

  /** A user writes in a chat; resolves once the runner recorded it. */
  say(chatId: string, text: string): Promise<{ duplicate: boolean }> {
    return this.inbox!.receive({ ...inbound(chatId, String(this.nextEvent++), text), botId: this.botId ?? 'bot' });
  }

  async send(target: ReplyTarget, text: string): Promise<string> {
    this.check('send', target.chatId, text);
    const id = `m${this.nextId++}`;
    this.messages.set(id, { chatId: target.chatId, text });
    return id;
  }

  async edit(target: ReplyTarget, messageId: string, text: string): Promise<void> {
    this.check('edit', target.chatId, text);
    this.messages.set(messageId, { chatId: target.chatId, text });
  }

  async typing(): Promise<void> {}

  classifyError(error: unknown): DeliveryFault {
    return error instanceof PlatformRefusal ? error.fault : { kind: 'transient', reason: String(error) };
  }

  /** What a chat shows now, oldest message first. */
  shown(chatId: string): string[] {
    return [...this.messages.values()].filter((m) => m.chatId === chatId).map((m) => m.text);
  }

  private check(op: 'send' | 'edit', chatId: string, text: string): void {
    const rule = this.rules.find((r) => r.op === op && (r.text?.test(text) ?? true) && (r.times ?? 1) > 0);
    if (rule?.times !== undefined) rule.times--;
    this.calls.push({ op, chatId, text, at: Date.now(), ...(rule ? { failed: rule.fault.reason } : {}) });
    if (rule) throw new PlatformRefusal(rule.fault);
  }
}

/** A platform with one send limit per chat, 5 sends a second with bursts of 2 unless a test says otherwise. */
export class LimitedPlatform extends ScriptedPlatform {
  constructor(readonly sendLimits = { chat: { ratePerSec: 5, burst: 2 } }) {
    super();
  }

  sendScopes(target: ReplyTarget): SendScope[] {
    return [{ limit: 'chat', key: chatBudget(target.chatId) }];
  }
}

export const chatBudget = (chatId: string) => `scripted:chat:${chatId}`;
/** A platform's 429 that names how long to wait. */
export const rateLimited = (retryAfterMs: number) => ({ kind: 'transient' as const, reason: `Too Many Requests: retry after ${retryAfterMs} ms`, retryAfterMs });
export interface RunnerWorld {
  /** The SQLite file, for a CLI run against the same store. */
  db: string;
  store: HistoryStore;
  model: ScriptedModel;
  platform: ScriptedPlatform;
  runner: BotRunner;
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
  sessionOf(chatId: string): string;
  /** Resolves once no entry of the world is pending any more (deferred ones included). */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A logger whose every line lands in `logs`, parsed. */
export function capturingLogger(): { logger: Logger; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, logs };
}

/** Resolves once no entry of the store is pending any more (deferred ones included). */
async function settledStore(store: HistoryStore, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.listInbox({ status: 'pending', limit: 1 })).length > 0) {
    if (Date.now() > deadline) throw new Error(`entries still pending after ${timeoutMs} ms: ${JSON.stringify(await store.listInbox({ status: 'pending' }))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The entry is settled before its notices and logs are written: let them land.
  await new Promise((r) => setTimeout(r, 50));
}

/** Fast timings: attempts and model retries milliseconds apart, so the fate rules show in well under a second. */
const FAST: Partial<BotRunnerOptions> = {
  pollIntervalMs: 50,
  attemptRetry: { baseMs: 30, capMs: 200 },
  llmRetry: { baseMs: 20, capMs: 100 },
  llmRetryWindowMs: 500,
  slowNoteAfterMs: 60_000,
  editIntervalMs: 0,
};

const engineFor = (model: ChatModel) => new TurnEngine({ name: 'Scripted', instructions: 'Be brief.', model, window: { maxMessages: 50 } });

export async function startRunnerWorld(
  options: Partial<BotRunnerOptions> & { platform?: ScriptedPlatform } = {},
  setup?: (world: Omit<RunnerWorld, 'runner' | 'close'>) => Promise<void>,
): Promise<RunnerWorld> {
  const db = sqliteTestFile('runner');
  const store = await openStore(db);
  const model = new ScriptedModel();
  const { platform = new ScriptedPlatform(), ...runnerOptions } = options;
  const { logger, logs } = capturingLogger();
  const partial = {
    db,
    store,
    model,
    platform,
    logs,
    sessionOf: (chatId: string) => `scripted:bot:${chatId}`,
    settled: (timeoutMs?: number) => settledStore(store, timeoutMs),
  };
  await setup?.(partial);
  const runner = new BotRunner({ store, engine: engineFor(model), adapter: platform, logger, ...FAST, ...runnerOptions });
  await runner.start();
  return {
    ...partial,
    runner,
    async close() {
      await runner.stop();
      await store.close();
    },
  };
}

/** A real platform adapter (against a fake platform) on the runner, with the scripted model and a SQLite store. */
export interface AdapterWorld<A extends PlatformAdapter> {
  store: HistoryStore;
  model: ScriptedModel;
  adapter: A;
  runner: BotRunner;
  /** Every log line of the runner and the adapter, parsed. */
  logs: Array<Record<string, unknown>>;
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `makeAdapter`'s adapter on the runner with `model`, on a fresh SQLite store: what both adapter worlds share. */
async function runAdapter<A extends PlatformAdapter>(model: ChatModel, makeAdapter: (logger: Logger, store: HistoryStore) => A, options: Partial<BotRunnerOptions>) {
  const store = await openStore(sqliteTestFile('adapter-world'));
  const { logger, logs } = capturingLogger();
  const adapter = makeAdapter(logger, store);
  const runner = new BotRunner({ store, engine: engineFor(model), adapter, logger, ...FAST, ...options });
  await runner.start();
  return {
    store,
    adapter,
    runner,
    logs,
    async close() {
      await runner.stop();
      await store.close();
    },
  };
}

export async function startAdapterWorld<A extends PlatformAdapter>(
  makeAdapter: (logger: Logger, store: HistoryStore) => A,
  options: Partial<BotRunnerOptions> = {},
): Promise<AdapterWorld<A>> {
  const model = new ScriptedModel();
  const world = await runAdapter(model, makeAdapter, options);
  return { ...world, model, settled: (timeoutMs?: number) => settledStore(world.store, timeoutMs) };
}

/** A real platform adapter on the runner with the real OpenAI client, against the fake OpenAI server (chat and transcriptions). */
export interface OpenAIAdapterWorld<A extends PlatformAdapter> {
  adapter: A;
  llm: FakeOpenAI;
  store: HistoryStore;
  /** Resolves once at least `minEntries` entries were recorded and none is pending any more. */
  settled(minEntries?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOpenAIAdapterWorld<A extends PlatformAdapter>(
  makeAdapter: (logger: Logger, store: HistoryStore) => A,
  options: { media?: BotRunnerOptions['media']; transcriptionModel?: string; runner?: Partial<BotRunnerOptions> } = {},
): Promise<OpenAIAdapterWorld<A>> {
  const llm = await startFakeOpenAI();
  const model = new OpenAIChatModel({ model: 'gpt-test', apiKey: 'test', baseURL: llm.baseURL, maxRetries: 0 });
  const { transcriptionModel } = options;
  const transcriber = transcriptionModel ? new OpenAITranscriber({ model: transcriptionModel, apiKey: 'test', baseURL: llm.baseURL }) : undefined;
  const world = await runAdapter(model, makeAdapter, { ...options.runner, media: { ...options.media, ...(transcriber ? { transcriber } : {}) } });
  const { store } = world;
  return {
    adapter: world.adapter,
    llm,
    store,
    settled: async (minEntries = 0) => {
      for (let i = 0; (await store.listInbox()).length < minEntries; i++) {
        if (i > 500) throw new Error(`fewer than ${minEntries} inbox entries`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await settledStore(store);
    },
    async close() {
      await world.close();
      await llm.close();
    },
  };
}
