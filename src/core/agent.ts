import { openStore } from '../store/open-store.js';
import { assertValidSessionId } from '../store/session-id.js';
import type { AppendTurnOptions, AppendTurnResult, ConversationStore, HistoryStore, HistoryWindow, LockedConversation, NewMessage, StoredMessage } from '../store/types.js';
import type { ChatModel } from './llm/chat-model.js';
import { createChatModel, type ChatModelConfig } from './llm/create-chat-model.js';
import { oneLine } from './one-line.js';
import { RuntimeStateMirror } from './runtime-state-mirror.js';
import { generateSessionId } from './session-ids.js';
import type { Tool } from './tools.js';
import { isAbort, TurnEngine, type GenerateOptions } from './turn-engine.js';
import { TurnAbortedError } from './turn-errors.js';

/** Used when neither `llm.model` nor `OPENAI_MODEL` names one. */
export const DEFAULT_MODEL = 'gpt-4o-mini';
export const DEFAULT_WINDOW: HistoryWindow = { maxMessages: 100 };

export interface AgentMemoryOptions {
  /** Where to keep the history (`postgres://…`, `sqlite:…`, or a file path); the agent opens it on first use and closes it in `close()`. */
  db?: string;
  /** An already-open store, shared with others: the agent never closes it. Takes the place of `db`. */
  store?: ConversationStore;
  /** Default: a fresh id from `generateSessionId()`. */
  sessionId?: string;
  /** Recorded in the session's metadata when the agent creates it. */
  userId?: string;
  /** Store runtime state set with `setRuntimeState` with each turn, and restore it on resume. Default false. */
  mirrorRuntimeState?: boolean;
  /** How much history each LLM call sees. Default `{ maxMessages: 100 }`. */
  window?: HistoryWindow;
}

export interface AgentOptions {
  name: string;
  instructions: string;
  /** Model settings (`apiKey` / `baseURL` default to OPENAI_API_KEY / OPENAI_BASE_URL), or a ready `ChatModel`. */
  llm?: ChatModelConfig | ChatModel;
  tools?: Tool[];
  memory: AgentMemoryOptions;
}

export interface AgentTurnOptions extends GenerateOptions {
  /** When given, must be the locked session's id (a guard against running a turn on the wrong session). */
  sessionId?: string;
  /** Passed to the turn's one commit (event id, session metadata, runtime state). */
  appendOptions?: AppendTurnOptions;
}

export interface TurnResult {
  /** The assistant's text for this turn (all of it, across tool rounds). */
  reply: string;
  /** Everything the turn committed, in order: the input, tool calls, tool results and the reply. */
  messages: NewMessage[];
  commit: AppendTurnResult;
}

export interface StartOptions {
  /** The speaker, in group chats: the model sees `<name>: <text>`. */
  name?: string;
  signal?: AbortSignal;
}

/**
 * An LLM agent whose conversation lives in a history store: a facade over the stateless `TurnEngine` bound to one
 * session. Every turn runs under the session's lock, sees the turns before it (from any process), and is committed
 * whole, so the conversation resumes wherever the same session id is used again.
 */
export class Agent {
  readonly name: string;
  readonly instructions: string;
  readonly sessionId: string;
  private readonly tools: readonly Tool[];
  private readonly window: HistoryWindow;
  private readonly userId?: string;
  private readonly llm: ChatModelConfig | ChatModel | undefined;
  private turnEngine?: TurnEngine;
  private readonly runtimeState: RuntimeStateMirror;
  private readonly db?: string;
  private store?: Promise<ConversationStore>;
  /** The store opened from `memory.db`, which `close()` closes; a shared `memory.store` is never here. */
  private ownStore?: Promise<HistoryStore>;
  private closed = false;

  constructor(options: AgentOptions) {
    const { memory } = options;
    if (!memory || (memory.db === undefined && memory.store === undefined)) {
      throw new TypeError('Agent needs memory.db (a database URL or file path) or memory.store (an open HistoryStore)');
    }
    if (memory.db !== undefined && memory.store !== undefined) {
      throw new TypeError('Agent takes memory.db or memory.store, not both');
    }
    this.sessionId = memory.sessionId ?? generateSessionId();
    assertValidSessionId(this.sessionId);
    this.name = options.name;
    this.instructions = options.instructions;
    this.llm = options.llm;
    this.tools = options.tools ?? [];
    this.window = memory.window ?? DEFAULT_WINDOW;
    this.userId = memory.userId;
    this.runtimeState = new RuntimeStateMirror(memory.mirrorRuntimeState === true);
    this.db = memory.db;
    this.store = memory.store ? Promise.resolve(memory.store) : undefined;
  }

  /** Runs one turn on the agent's session and returns the reply. */
  async start(text: string, options: StartOptions = {}): Promise<string> {
    const result = await this.userTurn(text, options);
    return result.reply;
  }

  /**
   * Runs one turn and yields the reply as it streams. The turn is committed only once the reply is complete;
   * stopping the iteration early aborts the turn (its input is kept, marked interrupted).
   */
  async *stream(text: string, options: StartOptions = {}): AsyncGenerator<string, void, void> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const chunks: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const turn = this.userTurn(text, { ...options, signal }, (delta) => {
      chunks.push(delta);
      wake?.();
    }).then(
      () => undefined,
      (error: unknown) => {
        failure = error;
      },
    ).finally(() => {
      finished = true;
      wake?.();
    });
    try {
      for (;;) {
        while (chunks.length > 0) yield chunks.shift()!;
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure !== undefined) throw failure;
    } finally {
      if (!finished) {
        stop.abort();
        await turn;
      }
    }
  }

  /**
   * One turn on a session the caller already holds locked: load the window, generate, and commit input + tool calls
   * + tool results + reply as ONE turn. `input` may hold several messages, answered together. On failure or abort
   * only the input is committed, marked `failed` / `interrupted`, so the stored context never holds a tool call
   * without its result or a partial reply.
   */
  async runTurn(session: LockedConversation, input: NewMessage[], options: AgentTurnOptions = {}): Promise<TurnResult> {
    this.assertOpen();
    if (options.sessionId !== undefined && options.sessionId !== session.sessionId) {
      throw new TypeError(`runTurn was given session ${JSON.stringify(options.sessionId)} but holds the lock of ${JSON.stringify(session.sessionId)}`);
    }
    // Runtime state belongs to the agent's own session; turns it runs on other sessions neither read nor write it.
    const mirrored = this.runtimeState.mirrored && session.sessionId === this.sessionId;
    if (mirrored) this.runtimeState.restore(await session.getRuntimeState());
    const pending = mirrored ? this.runtimeState.pending() : undefined;
    const given = options.appendOptions;
    const appendOptions = {
      ...given,
      metadata: { agentName: this.name, ...(this.userId !== undefined ? { userId: this.userId } : {}), ...given?.metadata },
      ...(pending || given?.runtimeState ? { runtimeState: { ...given?.runtimeState, ...pending } } : {}),
    };
    const engine = this.engine();
    const history = await session.loadWindow(engine.window);
    let turn;
    try {
      turn = await engine.generate(history, input, { onText: options.onText, signal: options.signal });
    } catch (error) {
      const aborted = isAbort(error, options.signal);
      const mark = aborted ? { interrupted: true } : { failed: true, error: oneLine(error) };
      await session.appendTurn(
        input.map((message) => ({ ...message, metadata: { ...message.metadata, ...mark } })),
        appendOptions,
      );
      throw aborted ? new TurnAbortedError(session.sessionId) : error;
    }
    const commit = await session.appendTurn(turn.messages, appendOptions);
    if (pending) this.runtimeState.saved(pending);
    return { ...turn, commit };
  }

  /** The stateless engine behind this agent: the bot runner runs its turns on it. */
  engine(): TurnEngine {
    this.turnEngine ??= new TurnEngine({ name: this.name, instructions: this.instructions, model: this.chatModel(), tools: this.tools, window: this.window });
    return this.turnEngine;
  }

  /** Every stored message of the session, oldest first. */
  async history(): Promise<StoredMessage[]> {
    return (await this.openStore()).fullHistory(this.sessionId);
  }

  /**
   * Set this runtime's state (`{ [turnId]: state }`). Mirrored: stored with the next turn. Over 64 KB (as JSON)
   * is refused here.
   */
  setRuntimeState(runtimeId: string, state: Record<string, unknown>): void {
    this.runtimeState.set(runtimeId, state);
  }

  /** This runtime's state: as set here, or, when mirrored, as last stored (also by an earlier process). */
  async getRuntimeState(runtimeId: string): Promise<Record<string, unknown> | null> {
    if (this.runtimeState.needsRestore) {
      const store = await this.openStore();
      this.runtimeState.restore(await store.getRuntimeState(this.sessionId));
    }
    return this.runtimeState.get(runtimeId);
  }

  /** Closes the store if the agent opened it (from `memory.db`); a shared `memory.store` stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownStore) await (await this.ownStore.catch(() => undefined))?.close();
  }

  private userTurn(text: string, options: StartOptions, onText?: (delta: string) => void): Promise<TurnResult> {
    const message: NewMessage = { role: 'user', content: text, ...(options.name !== undefined ? { name: options.name } : {}) };
    // The window comes with the lock and the lock goes with the commit: a turn in two round trips on Postgres.
    return this.openStore().then((store) =>
      store.withSessionLock(
        this.sessionId,
        (session) => this.runTurn(session, [message], { signal: options.signal, onText, appendOptions: { releaseLock: true } }),
        { preload: this.window },
      ),
    );
  }

  private openStore(): Promise<ConversationStore> {
    this.assertOpen();
    if (!this.store) {
      const opening = openStore(this.db!);
      // A failed open is not remembered: the next call tries again (the database may be back).
      opening.catch(() => {
        if (this.store === opening) this.store = undefined;
      });
      this.store = opening;
      this.ownStore = opening;
    }
    return this.store;
  }

  private chatModel(): ChatModel {
    return isChatModel(this.llm) ? this.llm : createChatModel(this.llm ?? { model: process.env.OPENAI_MODEL || DEFAULT_MODEL });
  }

  private assertOpen(): void {
    if (this.closed) throw new TypeError(`agent ${JSON.stringify(this.name)} is closed: create a new Agent to continue session ${JSON.stringify(this.sessionId)}`);
  }
}

function isChatModel(llm: ChatModelConfig | ChatModel | undefined): llm is ChatModel {
  return typeof (llm as ChatModel | undefined)?.stream === 'function';
}
