import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ToolCall } from '../../store/types.js';
import type { AssistantReply } from './chat-model.js';

/**
 * Why the chunks of a stream that has ended do not make an answer. `no-stream`: not a single chunk (the body
 * was not a stream of server-sent events); `cut-off`: no chunk carried a finish reason; `empty`: finished
 * with neither text nor tool calls; `refused`: the model declined (content filter, or a refusal message).
 */
export type UnusableAnswer =
  | { kind: 'no-stream' | 'cut-off' }
  | { kind: 'empty'; finishReason: string }
  | { kind: 'refused'; refusal: string | undefined };

/**
 * Builds the complete assistant message from streamed chunks. A tool call arrives as a first delta carrying
 * its id and name, then argument fragments tagged only with the call's `index`, so calls are assembled by index.
 */
export class StreamedReply {
  private content = '';
  private sawContent = false;
  private refusal = '';
  private chunks = 0;
  private finishReason: string | undefined;
  private readonly toolCalls = new Map<number, ToolCall>();

  /** Takes in one chunk; returns its text delta ('' when it has none). */
  add(chunk: ChatCompletionChunk): string {
    this.chunks++;
    const choice = chunk.choices[0];
    // Only a finish reason tells a complete answer from one whose stream was cut (see `unusable`).
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    const delta = choice?.delta;
    if (!delta) return '';
    if (typeof delta.refusal === 'string') this.refusal += delta.refusal;
    for (const [position, fragment] of (delta.tool_calls ?? []).entries()) {
      // Some OpenAI-compatible servers omit `index` when they send each call whole.
      const index = fragment.index ?? this.toolCalls.size + position;
      const call = this.toolCalls.get(index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
      if (fragment.id) call.id = fragment.id;
      // Taken once: some servers repeat the name on every fragment.
      if (fragment.function?.name && !call.function.name) call.function.name = fragment.function.name;
      if (fragment.function?.arguments) call.function.arguments += fragment.function.arguments;
      this.toolCalls.set(index, call);
    }
    if (typeof delta.content !== 'string' || delta.content === '') return '';
    this.sawContent = true;
    this.content += delta.content;
    return delta.content;
  }

  /** Why the stream so far does not make an answer, or undefined when it does. */
  unusable(): UnusableAnswer | undefined {
    if (this.chunks === 0) return { kind: 'no-stream' };
    if (this.finishReason === undefined) return { kind: 'cut-off' };
    // 'length' or 'content_filter' after some text is an answer cut short by a limit: still an answer.
    if (this.content.trim() !== '' || this.toolCalls.size > 0) return undefined;
    if (this.finishReason === 'content_filter' || this.refusal.trim() !== '') return { kind: 'refused', refusal: this.refusal.trim() || undefined };
    return { kind: 'empty', finishReason: this.finishReason };
  }

  /** The assistant message; only complete when `unusable()` says nothing. */
  reply(): AssistantReply {
    const toolCalls = [...this.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      // A call id is needed to answer the call; servers that omit it get a stable one.
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return { content: this.sawContent ? this.content : null, toolCalls };
  }
}
