import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { LlmError, type ChatMessage, type ToolSpec } from './chat-model.js';

/** Converts messages to the API's shape, which is stricter than `ChatMessage` about which fields go where. */
export function toApiMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    const name = message.name === undefined ? {} : { name: toApiName(message.name) };
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content ?? '', ...name };
      case 'user':
        if (message.images?.length) {
          // Vision: the text first, then each image as a data: URL (no URL the model's provider would have to fetch).
          return {
            role: 'user',
            content: [
              { type: 'text', text: message.content ?? '' },
              ...message.images.map((image) => ({ type: 'image_url' as const, image_url: { url: `data:${image.mimeType};base64,${image.base64}` } })),
            ],
            ...name,
          };
        }
        return { role: 'user', content: message.content ?? '', ...name };
      case 'assistant':
        return {
          role: 'assistant',
          content: message.content,
          ...name,
          ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
        };
      case 'tool':
        if (!message.tool_call_id) {
          throw new LlmError('a tool message has no tool_call_id: every tool result must name the call it answers', { failure: 'config' });
        }
        return { role: 'tool', content: message.content ?? '', tool_call_id: message.tool_call_id };
    }
  });
}

export function toApiTools(tools: ToolSpec[] | undefined): ChatCompletionTool[] | undefined {
  if (!tools?.length) return undefined;
  return tools.map(({ name, description, parameters }) => ({ type: 'function', function: { name, description, parameters } }));
}

/**
 * The API rejects the whole request (HTTP 400) when a name is not `^[a-zA-Z0-9_-]{1,64}$`, and group-chat
 * display names ("Ana María") often are not.
 */
function toApiName(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 64) || 'user';
}
