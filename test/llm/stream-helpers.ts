import type { AssistantReply } from '../../src/core/llm/chat-model.js';

/** Drains a `ChatModel.stream` generator: the text deltas in order, and the complete reply it returned. */
export async function collect(stream: AsyncGenerator<string, AssistantReply, void>): Promise<{ deltas: string[]; reply: AssistantReply }> {
  const deltas: string[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return { deltas, reply: next.value };
    deltas.push(next.value);
  }
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
