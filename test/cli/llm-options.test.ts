import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLlmOptions, llmConfig, type LlmOptions } from '../../src/cli/common-options.js';
import { LlmError } from '../../src/core/llm/chat-model.js';
import { createChatModel } from '../../src/core/llm/create-chat-model.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { collect, rejectionOf } from '../llm/stream-helpers.js';

/** The LLM options as the CLI parses `args`. */
function parse(args: string[]): LlmOptions {
  const command = addLlmOptions(new Command()).exitOverride().configureOutput({ writeErr: () => {} });
  return command.parse(args, { from: 'user' }).opts<LlmOptions>();
}

describe('--llm-timeout', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());

  it('takes fractional seconds into the model config as milliseconds, and leaves the default to the model otherwise', () => {
    expect(llmConfig(parse(['--llm-timeout', '2.5']), {})).toEqual({ model: expect.any(String), timeoutMs: 2500 });
    expect(llmConfig(parse([]), {})).not.toHaveProperty('timeoutMs');
  });

  it.each(['0', '-1', 'soon', ''])('refuses %j in one line', (value) => {
    let error: unknown;
    try {
      parse(['--llm-timeout', value]);
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).message).toBe(
      `error: option '--llm-timeout <seconds>' argument '${value}' is invalid. expected a number of seconds above 0, e.g. 60 or 2.5, got ${JSON.stringify(value)}`,
    );
  });

  it('bounds the wait of a model made from the options', async () => {
    fake.setHandler(() => ({ hang: true }));
    const model = createChatModel({ ...llmConfig(parse(['--base-url', fake.baseURL, '--llm-timeout', '0.2']), {}), maxRetries: 0 });

    const error = await rejectionOf(collect(model.stream({ messages: [{ role: 'user', content: 'hi' }] })));

    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).message).toContain('timed out waiting for the answer (no data for 0.2 s)');
  });
});
