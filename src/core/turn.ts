import type { AppendTurnOptions, AppendTurnResult, HistoryWindow, LockedSession, NewMessage } from '../store/types.js';
import { buildContext } from './context.js';
import { LlmError, type AssistantReply, type ChatModel, type ChatRequest } from './llm/chat-model.js';
import { runToolCall, toolSpec, type Tool } from './tools.js';
import { TurnAbortedError } from './turn-errors.js';

/** A model that keeps calling tools is cut off here: the last round offers no tools, so it has to answer. */
export const MAX_TOOL_ROUNDS = 8;

export interface TurnSettings {
  model: ChatModel;
  instructions: string;
  tools: readonly Tool[];
  window: HistoryWindow;
}

export interface TurnOptions {
  /** Called with every text delta as the model streams it. */
  onText?: (delta: string) => void;
  signal?: AbortSignal;
  /** Passed to the turn's one commit (event id, session metadata, runtime state). */
  appendOptions?: AppendTurnOptions;
  /**
   * Runs with the complete reply after the model has answered and before the turn commits (not for a failed or
   * aborted turn). A bot delivers the reply here: should the process die before the commit, the turn is still
   * pending and its retry can repair the delivery, which it could not once the turn was committed.
   */
  beforeCommit?: (reply: string) => Promise<void>;
}

export interface TurnResult {
  /** The assistant's text for this turn (all of it, across tool rounds). */
  reply: string;
  /** Everything the turn committed, in order: the input, tool calls, tool results and the reply. */
  messages: NewMessage[];
  commit: AppendTurnResult;
}

/**
 * One turn on a session its caller holds locked: load the window, ask the model (running tool calls in between),
 * and commit input + tool calls + tool results + reply as ONE turn. On failure or abort only the input is
 * committed, marked, so the stored context never holds a tool call without its result or a partial reply.
 */
export async function runTurn(session: LockedSession, settings: TurnSettings, input: NewMessage[], options: TurnOptions = {}): Promise<TurnResult> {
  if (input.length === 0) throw new TypeError('a turn needs at least one input message');
  const { signal, appendOptions } = options;
  const history = await session.loadWindow(settings.window);
  const produced: NewMessage[] = [];
  let reply = '';
  try {
    const specs = settings.tools.map(toolSpec);
    for (let round = 1; ; round++) {
      throwIfAborted(signal);
      const offered = round < MAX_TOOL_ROUNDS && specs.length > 0 ? specs : undefined;
      const answer = await streamAnswer(settings.model, { messages: buildContext(settings.instructions, history, [...input, ...produced]), tools: offered, signal }, options.onText);
      reply += answer.content ?? '';
      // Calls the model makes when no tools were offered cannot be answered: they are dropped, not left dangling.
      const calls = offered ? answer.toolCalls : [];
      produced.push({ role: 'assistant', content: answer.content ?? (calls.length ? null : ''), ...(calls.length ? { toolCalls: calls } : {}) });
      if (calls.length === 0) break;
      for (const call of calls) {
        throwIfAborted(signal);
        const content = await runToolCall(settings.tools, call);
        produced.push({ role: 'tool', name: call.function.name, content, toolCallId: call.id });
      }
    }
  } catch (error) {
    const aborted = signal?.aborted === true || (error instanceof LlmError && error.failure === 'aborted');
    const mark = aborted ? { interrupted: true } : { failed: true, error: oneLine(error) };
    await session.appendTurn(
      input.map((message) => ({ ...message, metadata: { ...message.metadata, ...mark } })),
      appendOptions,
    );
    throw aborted ? new TurnAbortedError(session.sessionId) : error;
  }
  const messages = [...input, ...produced];
  await options.beforeCommit?.(reply);
  const commit = await session.appendTurn(messages, appendOptions);
  return { reply, messages, commit };
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

const MAX_ERROR_TEXT = 500;

function oneLine(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
