import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmError, type ChatMessage } from '../../src/core/llm/chat-model.js';
import { OpenAIChatModel, type OpenAIChatModelOptions } from '../../src/core/llm/openai-chat-model.js';
import { defineTool, toolSpec } from '../../src/core/tools.js';
import { defaultHandler, startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { collect, rejectionOf } from './stream-helpers.js';

const API_KEY = 'sk-test-SECRET-0123456789abcdef';
const hello: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'hello' },
];

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.setHandler(defaultHandler);
});

function model(options: Partial<OpenAIChatModelOptions> = {}): OpenAIChatModel {
  return new OpenAIChatModel({ model: 'fake-model', apiKey: API_KEY, baseURL: fake.baseURL, maxRetries: 0, ...options });
}

async function llmErrorOf(promise: Promise<unknown>): Promise<LlmError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(LlmError);
  const llmError = error as LlmError;
  expect(llmError.message).not.toContain('\n');
  // Neither the message nor anything attached to the error may carry the key.
  expect(inspect(llmError, { depth: 10 })).not.toContain(API_KEY);
  return llmError;
}

describe('OpenAIChatModel against the fake endpoint', () => {
  it('streams text deltas and returns the whole answer', async () => {
    const { deltas, reply } = await collect(model().stream({ messages: hello }));

    expect(reply).toEqual({ content: 'reply to: hello (saw 2 messages)', toolCalls: [] });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(reply.content);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ model: 'fake-model', stream: true, messages: hello });
  });

  it('assembles two streamed tool calls whose arguments arrive in fragments', async () => {
    const weatherArgs = JSON.stringify({ city: 'Paris', days: 3, units: 'metric' });
    const searchArgs = JSON.stringify({ query: 'trains to "Rome", tomorrow' });
    fake.setHandler(() => ({ toolCalls: [{ name: 'get_weather', arguments: weatherArgs }, { name: 'search', arguments: searchArgs }] }));

    const { deltas, reply } = await collect(model().stream({ messages: hello }));

    expect(deltas).toEqual([]);
    expect(reply).toEqual({
      content: null,
      toolCalls: [
        { id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: weatherArgs } },
        { id: 'call_fake_1', type: 'function', function: { name: 'search', arguments: searchArgs } },
      ],
    });
  });

  it('sends tools, tool-call history and speaker names in the shape the API accepts', async () => {
    const weather = defineTool({
      name: 'get_weather',
      description: 'Weather forecast for a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => `sunny in ${city}`,
    });
    const call = { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } };
    const messages: ChatMessage[] = [
      { role: 'user', content: 'weather in Oslo?', name: 'Ana María O\'Neil' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', content: 'sunny in Oslo', name: 'get_weather', tool_call_id: 'call_1' },
    ];

    await collect(model().stream({ messages, tools: [toolSpec(weather)] }));

    expect(fake.requests[0].messages).toEqual([
      { role: 'user', content: 'weather in Oslo?', name: 'Ana_Maria_O_Neil' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', content: 'sunny in Oslo', tool_call_id: 'call_1' },
    ]);
    expect(fake.requests[0].tools).toEqual([{ type: 'function', function: toolSpec(weather) }]);
  });

  it('retries a 500 maxRetries times, then fails with a clear LlmError', async () => {
    fake.setHandler(() => ({ status: 500, errorMessage: 'the model is overloaded' }));

    const error = await llmErrorOf(collect(model({ maxRetries: 2 }).stream({ messages: hello })));

    expect(fake.requests).toHaveLength(3);
    expect(error.failure).toBe('status');
    expect(error.status).toBe(500);
    expect(error.message).toBe(
      `LLM endpoint ${new URL(fake.baseURL).host} answered HTTP 500 (the model is overloaded); ` +
        'the service is failing, still failing after 2 retries: retry later or check the server',
    );
  });

  it('does not retry a 404 and points at the model name', async () => {
    fake.setHandler(() => ({ status: 404, errorMessage: 'model not found' }));

    const error = await llmErrorOf(collect(model({ maxRetries: 2 }).stream({ messages: hello })));

    expect(fake.requests).toHaveLength(1);
    expect(error.status).toBe(404);
    expect(error.message).toContain('check the model name "fake-model"');
  });

  it('never shows the API key, even when the server echoes it', async () => {
    fake.setHandler(() => ({ status: 401, errorMessage: `Incorrect API key provided: ${API_KEY}` }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error.message).toContain('HTTP 401 (Incorrect API key provided: ***)');
    expect(error.message).toContain('check OPENAI_API_KEY');
  });

  it('times out when the endpoint never answers, after retrying', async () => {
    fake.setHandler(() => ({ hang: true }));

    const error = await llmErrorOf(collect(model({ timeoutMs: 200, maxRetries: 1 }).stream({ messages: hello })));

    expect(fake.requests).toHaveLength(2);
    expect(error.failure).toBe('timeout');
    expect(error.message).toMatch(/^LLM request to 127\.0\.0\.1:\d+ timed out waiting for the answer \(no data for 0\.2 s, 2 attempts\); .*raise the timeout/);
  });

  it('times out when the answer stalls mid-stream', async () => {
    fake.setHandler(() => ({ content: 'partial answer', stallMidStream: true }));
    const stream = model({ timeoutMs: 200 }).stream({ messages: hello });

    expect((await stream.next()).value).toBe('partial ');
    expect((await stream.next()).value).toBe('answer');
    const error = await llmErrorOf(stream.next());

    expect(error.failure).toBe('timeout');
    expect(error.message).toMatch(/timed out mid-answer \(no data for 0\.2 s\)/);
  });

  it('reports a refused connection with what to check', async () => {
    const closed = await startFakeOpenAI();
    await closed.close();
    const refused = new OpenAIChatModel({ model: 'fake-model', apiKey: API_KEY, baseURL: closed.baseURL, maxRetries: 0 });

    const error = await llmErrorOf(collect(refused.stream({ messages: hello })));

    expect(error.failure).toBe('connection');
    expect(error.message).toBe(
      `could not connect to LLM endpoint ${new URL(closed.baseURL).host}: connection refused; ` +
        'check that the server is running and the base URL (OPENAI_BASE_URL or --base-url) is right',
    );
  });

  it('fails as aborted when the caller aborts before the answer starts', async () => {
    const controller = new AbortController();
    fake.setHandler(() => {
      controller.abort();
      return { hang: true };
    });

    const error = await llmErrorOf(collect(model().stream({ messages: hello, signal: controller.signal })));

    expect(error.failure).toBe('aborted');
  });

  it('fails as aborted when the caller aborts mid-stream, instead of returning a cut answer', async () => {
    const controller = new AbortController();
    fake.setHandler(() => ({ content: 'one two three', stallMidStream: true }));
    const stream = model().stream({ messages: hello, signal: controller.signal });

    expect((await stream.next()).value).toBe('one ');
    controller.abort();
    const error = await llmErrorOf(collect(stream));

    expect(error.failure).toBe('aborted');
  });

  it('names only the endpoint host in errors', () => {
    expect(model().endpoint).toBe(new URL(fake.baseURL).host);
  });
});

describe('OpenAIChatModel: transient or permanent', () => {
  const host = () => new URL(fake.baseURL).host;

  it.each([
    [408, true, 'the endpoint timed out the request, retries are off: retry later'],
    [409, true, 'the endpoint reported a conflict, retries are off: retry'],
    [429, true, "rate limited, retries are off: wait and retry, or raise the account's rate limits"],
    [500, true, 'the service is failing, retries are off: retry later or check the server'],
    [503, true, 'the service is failing, retries are off: retry later or check the server'],
    [400, false, 'the request was rejected: check the model "fake-model" and its options'],
    [401, false, 'the API key was refused: check OPENAI_API_KEY'],
    [403, false, 'the API key was refused: check OPENAI_API_KEY'],
    [404, false, 'check the model name "fake-model" and the base URL (it usually ends in /v1)'],
  ])('HTTP %i is transient: %s', async (status, transient, advice) => {
    fake.setHandler(() => ({ status, errorMessage: 'nope' }));

    const error = await llmErrorOf(collect(model({ maxRetries: 0 }).stream({ messages: hello })));

    expect(fake.requests).toHaveLength(1);
    expect(error).toMatchObject({ failure: 'status', status, transient, retryAfterMs: undefined });
    expect(error.message).toBe(`LLM endpoint ${host()} answered HTTP ${status} (nope); ${advice}`);
  });

  it('reports the Retry-After the endpoint asked for, as it is', async () => {
    fake.setHandler(() => ({ status: 429, retryAfterSeconds: 120 }));

    const error = await llmErrorOf(collect(model({ maxRetries: 0 }).stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'status', status: 429, transient: true, retryAfterMs: 120_000 });
  });

  it.each([
    ['OpenAI\'s code', { errorCode: 'context_length_exceeded', errorMessage: 'Please reduce the length of the messages.' }],
    ['the words of another server', { errorMessage: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens." }],
    ['llama.cpp\'s words', { errorMessage: 'the request exceeds the available context size, try increasing it' }],
  ])('says a conversation too long for the model is, from %s, and that /new starts a fresh one', async (_, reply) => {
    fake.setHandler(() => ({ status: 400, ...reply }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'status', status: 400, transient: false });
    expect(error.message).toMatch(/^the conversation is too long for model "fake-model": LLM endpoint \S+ answered HTTP 400 \(.+\); \/new starts a fresh one$/);
  });

  it('times out waiting for the headers with retries off', async () => {
    fake.setHandler(() => ({ hang: true }));

    const error = await llmErrorOf(collect(model({ timeoutMs: 200, maxRetries: 0 }).stream({ messages: hello })));

    expect(fake.requests).toHaveLength(1);
    expect(error).toMatchObject({ failure: 'timeout', transient: true });
    expect(error.message).toBe(
      `LLM request to ${host()} timed out waiting for the answer (no data for 0.2 s); ` +
        'check that the endpoint is up and not overloaded, or raise the timeout (--llm-timeout, llmTimeout in the config file)',
    );
  });

  it('times out waiting for the first chunk after the headers', async () => {
    fake.setHandler(() => ({ stallMidStream: true }));

    const error = await llmErrorOf(collect(model({ timeoutMs: 200 }).stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'timeout', transient: true });
    expect(error.message).toMatch(/timed out mid-answer \(no data for 0\.2 s\)/);
  });

  it('times out a stream that only sends keep-alive comments: they carry no token', async () => {
    fake.setHandler(() => ({ content: 'thinking', stallMidStream: true, keepAliveEveryMs: 50 }));

    const error = await llmErrorOf(collect(model({ timeoutMs: 200 }).stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'timeout', transient: true });
  });

  it('fails when the connection breaks off mid-answer', async () => {
    fake.setHandler(() => ({ content: 'one two three', resetMidStream: true }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'connection', transient: true });
    expect(error.message).toBe(
      `the connection to LLM endpoint ${host()} broke off mid-answer (the server closed the connection); retry, or check the server and any proxy in between`,
    );
  });

  it('takes a refused connection as transient, and an abort as no failure to retry', async () => {
    const closed = await startFakeOpenAI();
    await closed.close();
    const refused = new OpenAIChatModel({ model: 'fake-model', apiKey: API_KEY, baseURL: closed.baseURL, maxRetries: 0 });
    expect(await llmErrorOf(collect(refused.stream({ messages: hello })))).toMatchObject({ failure: 'connection', transient: true });

    const controller = new AbortController();
    controller.abort();
    expect(await llmErrorOf(collect(model().stream({ messages: hello, signal: controller.signal })))).toMatchObject({ failure: 'aborted', transient: false });
  });
});

describe('OpenAIChatModel: a reply counts only when the stream finished', () => {
  const host = () => new URL(fake.baseURL).host;

  it.each([
    ['ends without a finish chunk or [DONE]', { content: 'half of the', truncate: true }],
    ['ends with [DONE] but no finish reason', { content: 'half of the', finishReason: null }],
  ])('fails as cut off when the stream %s, after the deltas that came', async (_, reply) => {
    fake.setHandler(() => reply);
    const deltas: string[] = [];

    const error = await llmErrorOf(
      (async () => {
        for await (const delta of model().stream({ messages: hello })) deltas.push(delta);
      })(),
    );

    expect(deltas.join('')).toBe('half of the');
    expect(error).toMatchObject({ failure: 'protocol', transient: true });
    expect(error.message).toBe(
      `the answer was cut off: LLM endpoint ${host()} ended the stream without a finish reason; retry, or check the server and any proxy in between`,
    );
  });

  it('fails on a 200 whose body is not a stream of server-sent events', async () => {
    fake.setHandler(() => ({ garbage: true }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'protocol', transient: true });
    expect(error.message).toMatch(/^LLM endpoint \S+ answered with something that is not a stream of server-sent events; check that the base URL/);
  });

  it.each([
    ['`empty`', { empty: true }, 'stop'],
    ['only whitespace', { content: '  \n ' }, 'stop'],
    ['nothing before the length limit', { content: '', finishReason: 'length' }, 'length'],
  ])('fails on an empty answer: %s', async (_, reply, finishReason) => {
    fake.setHandler(() => reply);

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'protocol', transient: true });
    expect(error.message).toBe(
      `LLM endpoint ${host()} sent an empty answer (no text and no tool calls, finish reason "${finishReason}"); retry, or check the model "fake-model"`,
    );
  });

  it.each(['length', 'content_filter'])('returns the text of an answer cut short by finish reason %s', async (finishReason) => {
    fake.setHandler(() => ({ content: 'as far as the limit', finishReason }));

    const { reply } = await collect(model().stream({ messages: hello }));

    expect(reply).toEqual({ content: 'as far as the limit', toolCalls: [] });
  });

  it('fails for good when the content filter left nothing', async () => {
    fake.setHandler(() => ({ finishReason: 'content_filter' }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'protocol', transient: false });
    expect(error.message).toBe(`model "fake-model" at ${host()} refused to answer (content filter); rephrase the message`);
  });

  it('fails for good on a refusal message, quoting it', async () => {
    fake.setHandler(() => ({ refusal: "I can't help with that." }));

    const error = await llmErrorOf(collect(model().stream({ messages: hello })));

    expect(error).toMatchObject({ failure: 'protocol', transient: false });
    expect(error.message).toBe(`model "fake-model" at ${host()} refused to answer ("I can't help with that."); rephrase the message`);
  });
});
