import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_MODEL_ID, startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';

// The streaming side is covered through OpenAIChatModel; these check the rest of the fake with the bare SDK.
describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it('answers a non-streaming completion from the handler, tool calls included', async () => {
    fake.setHandler(async (request) => ({
      content: `model ${request.model}`,
      toolCalls: [{ name: 'lookup', arguments: '{"q":"x"}' }],
    }));

    const completion = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });

    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(completion.choices[0].message).toMatchObject({
      content: 'model m1',
      tool_calls: [{ id: 'call_fake_0', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
    });
    expect(fake.requests.at(-1)).toMatchObject({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('overrides the finish reason, and sends Retry-After and an error code with a status', async () => {
    fake.setHandler(() => ({ content: 'cut by the limit', finishReason: 'length' }));
    const completion = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'cut by the limit' } });

    fake.setHandler(() => ({ status: 429, retryAfterSeconds: 3, errorCode: 'rate_limit_exceeded' }));
    const error = await client.chat.completions.create({ model: 'm1', messages: [] }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).headers?.get('retry-after')).toBe('3');
    expect((error as APIError).code).toBe('rate_limit_exceeded');
  });

  it('empties a reply with `empty`', async () => {
    fake.setHandler(() => ({ content: 'ignored', toolCalls: [{ name: 'lookup', arguments: '{}' }], empty: true }));

    const completion = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });

    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: null } });
    expect(completion.choices[0].message.tool_calls).toBeUndefined();
  });

  it('lists one model', async () => {
    const models = await client.models.list();

    expect(models.data.map((model) => model.id)).toEqual([FAKE_MODEL_ID]);
  });
});
