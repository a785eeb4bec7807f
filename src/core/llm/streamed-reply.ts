import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ToolCall } from '../../store/types.js';
import type { AssistantReply } from './chat-model.js';

/**
 * Builds the complete assistant message from streamed chunks. A tool call arrives as a first delta carrying
 * its id and name, then argument fragments tagged only with the call's `index`, so calls are assembled by index.
 */
export class StreamedReply {
  private content = '';
  private sawContent = false;
  private readonly toolCalls = new Map<number, ToolCall>();

  /** Takes in one chunk; returns its text delta ('' when it has none). */
  add(chunk: ChatCompletionChunk): string {
    const delta = chunk.choices[0]?.delta;
    if (!delta) return '';
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

  reply(): AssistantReply {
    const toolCalls = [...this.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      // A call id is needed to answer the call; servers that omit it get a stable one.
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return { content: this.sawContent ? this.content : null, toolCalls };
  }
}
