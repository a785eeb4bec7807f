import type { ChatImage, ChatMessage } from './llm/chat-model.js';
import type { NewMessage } from '../store/types.js';

/**
 * The request the model sees for a turn: the instructions first, then the stored history, then the new input.
 * A group-chat sender's name goes into the content as `<name>: <text>`: the API's own `name` field only takes
 * `[a-zA-Z0-9_-]`, and most models ignore it anyway. `images[i]` go with `input[i]` (the turn's own images: the
 * history keeps only their textual description, so earlier images are not sent again).
 */
export function buildContext(
  instructions: string,
  history: readonly NewMessage[],
  input: readonly NewMessage[],
  images: ReadonlyArray<readonly ChatImage[] | undefined> = [],
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== '') messages.push({ role: 'system', content: instructions });
  for (const message of history) messages.push(toChatMessage(message));
  input.forEach((message, i) => {
    const chat = toChatMessage(message);
    const shown = images[i];
    messages.push(shown?.length && chat.role === 'user' ? { ...chat, images: [...shown] } : chat);
  });
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
