import OpenAI from 'openai';
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

  it('lists one model', async () => {
    const models = await client.models.list();

    expect(models.data.map((model) => model.id)).toEqual([FAKE_MODEL_ID]);
  });
});
