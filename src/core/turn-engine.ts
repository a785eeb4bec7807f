import type { HistoryWindow, NewMessage, StoredMessage } from '../store/types.js';
import { buildContext } from './context.js';
import { LlmError, type AssistantReply, type ChatImage, type ChatModel, type ChatRequest } from './llm/chat-model.js';
import { runToolCall, toolSpec, type Tool } from './tools.js';

/** A model that keeps calling tools is cut off here: the last round offers no tools, so it has to answer. */
export const MAX_TOOL_ROUNDS = 8;

export interface TurnEngineOptions {
  /** The agent's name (greetings, session metadata). */
  name: string;
  instructions: string;
  model: ChatModel;
  tools?: readonly Tool[];
  /** How much history each LLM call sees. */
  window: HistoryWindow;
}

export interface GenerateOptions {
  /** Called with every text delta as the model streams it. */
  onText?: (delta: string) => void;
  signal?: AbortSignal;
  /** Images shown to the model with input message `i` (never part of the messages committed: see `buildContext`). */
  images?: ReadonlyArray<readonly ChatImage[] | undefined>;
}

/** What one turn produced, not yet committed. */
export interface GeneratedTurn {
  /** The assistant's text (all of it, across tool rounds). */
  reply: string;
  /** What the turn commits, in order: the input, tool calls, tool results and the reply. */
  messages: NewMessage[];
}

/**
 * The stateless part of a turn: given the history window and the new input, ask the model (running tool calls in
 * between) and return the messages to commit. It reads and writes no store and knows no session: the `Agent`
 * commits what it returns under its session's lock, and the bot runner delivers it before committing it with its
 * inbox entries.
 */
export class TurnEngine {
  readonly name: string;
  readonly instructions: string;
  readonly model: ChatModel;
  readonly tools: readonly Tool[];
  readonly window: HistoryWindow;

  constructor(options: TurnEngineOptions) {
    this.name = options.name;
    this.instructions = options.instructions;
    this.model = options.model;
    this.tools = options.tools ?? [];
    this.window = options.window;
  }

  /** Throws the model's `LlmError`; an abort through `signal` throws an `LlmError` whose failure is `aborted`. */
  async generate(history: readonly StoredMessage[], input: readonly NewMessage[], options: GenerateOptions = {}): Promise<GeneratedTurn> {
    if (input.length === 0) throw new TypeError('a turn needs at least one input message');
    const { signal } = options;
    const produced: NewMessage[] = [];
    let reply = '';
    const specs = this.tools.map(toolSpec);
    for (let round = 1; ; round++) {
      throwIfAborted(signal);
      const offered = round < MAX_TOOL_ROUNDS && specs.length > 0 ? specs : undefined;
      const answer = await streamAnswer(this.model, { messages: buildContext(this.instructions, history, [...input, ...produced], options.images), tools: offered, signal }, options.onText);
      reply += answer.content ?? '';
      // Calls the model makes when no tools were offered cannot be answered: they are dropped, not left dangling.
      const calls = offered ? answer.toolCalls : [];
      produced.push({ role: 'assistant', content: answer.content ?? (calls.length ? null : ''), ...(calls.length ? { toolCalls: calls } : {}) });
      if (calls.length === 0) break;
      for (const call of calls) {
        throwIfAborted(signal);
        const content = await runToolCall(this.tools, call);
        produced.push({ role: 'tool', name: call.function.name, content, toolCallId: call.id });
      }
    }
    return { reply, messages: [...input, ...produced] };
  }
}

async function streamAnswer(model: ChatModel, request: ChatRequest, onText?: (delta: string) => void): Promise<AssistantReply> {
  const stream = model.stream(request);
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    onText?.(next.value);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LlmError('aborted', { failure: 'aborted' });
}

/** True when `error` is the end of a turn its caller aborted (not a failure to report). */
export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof LlmError && error.failure === 'aborted');
}
