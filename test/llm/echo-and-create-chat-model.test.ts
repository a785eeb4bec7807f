import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LlmError, type ChatMessage } from '../../src/core/llm/chat-model.js';
import { createChatModel } from '../../src/core/llm/create-chat-model.js';
import { EchoModel } from '../../src/core/llm/echo-model.js';
import { OpenAIChatModel } from '../../src/core/llm/openai-chat-model.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { collect, rejectionOf } from './stream-helpers.js';

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are a bot.' },
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: 'hello!' },
  { role: 'user', content: 'how are you?' },
  { role: 'assistant', content: 'fine' },
  { role: 'user', content: 'hello' },
];

describe('EchoModel', () => {
  it('echoes the last user message and counts the earlier ones, streamed in chunks', async () => {
    const { deltas, reply } = await collect(new EchoModel().stream({ messages: conversation }));

    expect(reply).toEqual({ content: 'echo: hello (offline echo model; 4 earlier messages in this conversation)', toolCalls: [] });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(reply.content);
  });

  it('says "1 earlier message" in the singular', async () => {
    const { reply } = await collect(new EchoModel().stream({ messages: conversation.slice(4) }));

    expect(reply.content).toBe('echo: hello (offline echo model; 1 earlier message in this conversation)');
  });

  it('stops with an aborted LlmError when the caller aborts', async () => {
    const controller = new AbortController();
    const stream = new EchoModel().stream({ messages: conversation, signal: controller.signal });
    await stream.next();
    controller.abort();

    const error = await rejectionOf(stream.next());

    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).failure).toBe('aborted');
  });
});

describe('createChatModel', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  afterEach(() => vi.unstubAllEnvs());

  function withoutEnvironment(): void {
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_BASE_URL', '');
  }

  it('makes the echo model for "echo" without any configuration', () => {
    withoutEnvironment();

    expect(createChatModel({ model: 'echo' })).toBeInstanceOf(EchoModel);
  });

  it('says exactly what to set when there is neither a key nor a base URL', () => {
    withoutEnvironment();

    let error: unknown;
    try {
      createChatModel({ model: 'gpt-4o-mini' });
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(LlmError);
    const { message } = error as LlmError;
    expect(message).not.toContain('\n');
    for (const hint of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', '--base-url', 'Ollama', '--model echo']) expect(message).toContain(hint);
  });

  it('talks to a keyless local endpoint given only a base URL', async () => {
    withoutEnvironment();
    const model = createChatModel({ model: 'llama3', baseURL: fake.baseURL, maxRetries: 0 });

    const { reply } = await collect(model.stream({ messages: [{ role: 'user', content: 'ping' }] }));

    expect(model).toBeInstanceOf(OpenAIChatModel);
    expect(reply.content).toBe('reply to: ping (saw 1 messages)');
    expect(fake.requests.at(-1)?.model).toBe('llama3');
  });

  it('takes the key and base URL from OPENAI_API_KEY and OPENAI_BASE_URL', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-environment');
    vi.stubEnv('OPENAI_BASE_URL', fake.baseURL);
    const model = createChatModel({ model: 'gpt-env' });

    const { reply } = await collect(model.stream({ messages: [{ role: 'user', content: 'env' }] }));

    expect(reply.content).toBe('reply to: env (saw 1 messages)');
    expect(fake.requests.at(-1)?.model).toBe('gpt-env');
  });

  it.each(['localhost:11434/v1', 'not a url'])('refuses the base URL %j, saying what one looks like', (baseURL) => {
    withoutEnvironment();

    expect(() => createChatModel({ model: 'x', baseURL })).toThrow(
      new LlmError('the LLM base URL is not an http(s) URL: set OPENAI_BASE_URL / --base-url like http://localhost:11434/v1', { failure: 'config' }),
    );
  });
});
