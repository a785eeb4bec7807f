import { LlmError, type AssistantReply, type ChatModel, type ChatRequest } from './chat-model.js';
import { chunkEvenly } from './chunk-evenly.js';

/**
 * A built-in offline model for smoke tests and demos: no network, deterministic. It echoes the last user
 * message and says how much of the conversation it was given, which makes history windows visible.
 */
export class EchoModel implements ChatModel {
  readonly model = 'echo';

  async *stream(request: ChatRequest): AsyncGenerator<string, AssistantReply, void> {
    const content = echoAnswer(request);
    for (const chunk of chunkEvenly(content, 3)) {
      if (request.signal?.aborted) throw new LlmError('echo model request was aborted', { failure: 'aborted' });
      yield chunk;
    }
    return { content, toolCalls: [] };
  }
}

/** `echo: <last user message> (offline echo model; N earlier messages in this conversation)`; system prompts are not counted. */
function echoAnswer({ messages }: ChatRequest): string {
  const lastUser = messages.findLastIndex((message) => message.role === 'user');
  const said = lastUser === -1 ? '(no user message)' : messages[lastUser].content ?? '';
  const earlier = messages.slice(0, Math.max(lastUser, 0)).filter((message) => message.role !== 'system').length;
  return `echo: ${said} (offline echo model; ${earlier} earlier message${earlier === 1 ? '' : 's'} in this conversation)`;
}
