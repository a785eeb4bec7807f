import type { ChatMessage } from './llm/chat-model.js';
import type { NewMessage } from '../store/types.js';

/**
 * The request the model sees for a turn: the instructions first, then the stored history, then the new input.
 * A group-chat sender's name goes into the content as `<name>: <text>`: the API's own `name` field only takes
 * `[a-zA-Z0-9_-]`, and most models ignore it anyway.
 */
export function buildContext(instructions: string, history: readonly NewMessage[], input: readonly NewMessage[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== '') messages.push({ role: 'system', content: instructions });
  for (const message of history) messages.push(toChatMessage(message));
  for (const message of input) messages.push(toChatMessage(message));
  return messages;
}

export function toChatMessage(message: NewMessage): ChatMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.name ? `${message.name}: ${message.content ?? ''}` : message.content };
    case 'assistant':
      return { role: 'assistant', content: message.content, ...(message.toolCalls?.length ? { tool_calls: message.toolCalls } : {}) };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    case 'system':
      return { role: 'system', content: message.content };
  }
}
