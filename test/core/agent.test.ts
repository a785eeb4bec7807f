import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, type AgentOptions } from '../../src/core/agent.js';
import { LlmError } from '../../src/core/llm/chat-model.js';
import { defineTool } from '../../src/core/tools.js';
import { TurnAbortedError } from '../../src/core/turn-errors.js';
import { InvalidInputError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { defaultHandler, startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { BACKENDS } from '../store/backends.js';

let llm: FakeOpenAI;
beforeAll(async () => {
  llm = await startFakeOpenAI();
});
afterAll(() => llm.close());
beforeEach(() => {
  llm.setHandler(defaultHandler);
  llm.requests.length = 0;
});

const weather = defineTool({
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, celsius: 18 }),
});

describe.each(BACKENDS)('$name: Agent turns', ({ freshDb }) => {
  let store: HistoryStore;
  beforeAll(async () => {
    store = await openStore(freshDb('agent'));
  });
  afterAll(() => store.close());

  function agent(sessionId: string, options: Partial<AgentOptions> = {}, llmOptions: { timeoutMs?: number; maxRetries?: number } = {}) {
    return new Agent({
      name: 'Bot',
      instructions: 'Be brief.',
      llm: { model: 'fake-model', apiKey: 'test-key', baseURL: llm.baseURL, maxRetries: 0, ...llmOptions },
      memory: { store, sessionId },
      ...options,
    });
  }

  it('tool calls run, are stored whole, and are replayed in the next request', async () => {
    llm.setHandler((request) =>
      request.messages.at(-1)?.role === 'tool'
        ? { content: 'It is 18 °C in Paris.' }
        : request.messages.at(-1)?.content === 'Weather in Paris?'
          ? { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] }
          : defaultHandler(request),
    );
    const bot = agent('tools', { tools: [weather] });
    const chunks: string[] = [];
    for await (const chunk of bot.stream('Weather in Paris?')) chunks.push(chunk);
    expect(chunks.join('')).toBe('It is 18 °C in Paris.');
    expect(chunks.length).toBeGreaterThan(1);
    expect(llm.requests[0].tools?.map((t) => t.function.name)).toEqual(['get_weather']);

    const history = await bot.history();
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(new Set(history.map((m) => m.turn)).size).toBe(1);
    expect(history[1].toolCalls).toEqual([{ id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(history[2]).toMatchObject({ toolCallId: 'call_fake_0', name: 'get_weather', content: '{"city":"Paris","celsius":18}' });

    await bot.start('Thanks');
    const replayed = llm.requests.at(-1)!.messages;
    expect(replayed.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(replayed[2].tool_calls).toEqual(history[1].toolCalls);
    expect(replayed[3].tool_call_id).toBe('call_fake_0');
  });

  it('a named sender reaches the model as "<name>: <text>" and is stored as given', async () => {
    const bot = agent('group');
    await bot.start('hola', { name: 'Ana María: the "admin"' });
    expect(llm.requests[0].messages.at(-1)).toEqual({ role: 'user', content: 'Ana María: the "admin": hola' });
    expect((await bot.history())[0]).toMatchObject({ role: 'user', name: 'Ana María: the "admin"', content: 'hola' });
  });

  it('an LLM failing after its retries keeps the message, says so, and the next turn works', async () => {
    llm.setHandler(() => ({ status: 500, errorMessage: 'upstream exploded' }));
    const bot = agent('failing', {}, { maxRetries: 1 });
    const failure = await bot.start('first try').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LlmError);
    expect((failure as Error).message).toMatch(/HTTP 500 \(upstream exploded\).*after 1 retries/);
    expect((failure as Error).message).not.toContain('\n');
    expect(llm.requests).toHaveLength(2);
    const [kept] = await bot.history();
    expect(kept).toMatchObject({ role: 'user', content: 'first try', metadata: { failed: true } });
    expect(String(kept.metadata?.error)).toMatch(/HTTP 500/);

    llm.setHandler(defaultHandler);
    expect(await bot.start('second try')).toBe('reply to: second try (saw 3 messages)');
    expect(llm.requests.at(-1)!.messages.map((m) => m.content)).toEqual(['Be brief.', 'first try', 'second try']);
  });

  it('a timeout (and a stall mid-answer) keeps only the message, never a partial reply', async () => {
    const bot = agent('slow', {}, { timeoutMs: 300 });
    llm.setHandler(() => ({ hang: true }));
    await expect(bot.start('anyone there?')).rejects.toThrow(/timed out/);
    llm.setHandler(() => ({ content: 'half an answer that never', stallMidStream: true }));
    await expect(bot.start('again?')).rejects.toThrow(/timed out mid-answer/);
    llm.setHandler(defaultHandler);
    await bot.start('third');
    const history = await bot.history();
    expect(history.map((m) => [m.role, m.content, m.metadata?.failed ?? false])).toEqual([
      ['user', 'anyone there?', true],
      ['user', 'again?', true],
      ['user', 'third', false],
      ['assistant', 'reply to: third (saw 4 messages)', false],
    ]);
  });

  it('an abort stores the input marked interrupted and throws TurnAbortedError', async () => {
    llm.setHandler(() => ({ hang: true }));
    const bot = agent('aborted');
    const controller = new AbortController();
    const turn = bot.start('never mind', { signal: controller.signal });
    while (llm.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    const error = await turn.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TurnAbortedError);
    expect((error as Error).name).toBe('AbortError');
    expect(await bot.history()).toMatchObject([{ role: 'user', content: 'never mind', metadata: { interrupted: true } }]);
  });

  it('runTurn under a caller-held lock answers several inputs at once in one commit', async () => {
    const bot = agent('collect');
    const result = await store.withSessionLock('collect', (session) =>
      bot.runTurn(
        session,
        [
          { role: 'user', content: 'one', name: 'ann' },
          { role: 'user', content: 'two', name: 'bob' },
        ],
        { appendOptions: { metadata: { platform: 'test' } }, sessionId: 'collect' },
      ),
    );
    expect(result.reply).toBe('reply to: bob: two (saw 3 messages)');
    expect(result.commit).toEqual({ firstSeq: 1, lastSeq: 3, version: 1 });
    expect(result.messages.map((m) => m.content)).toEqual(['one', 'two', result.reply]);
    expect((await store.getSession('collect'))?.metadata).toMatchObject({ agentName: 'Bot', platform: 'test' });
    await expect(store.withSessionLock('collect', (session) => bot.runTurn(session, [{ role: 'user', content: 'x' }], { sessionId: 'other' }))).rejects.toThrow(
      /holds the lock of "collect"/,
    );
  });

  it('concurrent start() calls on one session run one after the other, each seeing the ones before', async () => {
    const bot = agent('parallel');
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => bot.start(`m${i}`)));
    const seen = replies.map((reply) => Number(/saw (\d+) messages/.exec(reply)![1])).sort((a, b) => a - b);
    expect(seen).toEqual([2, 4, 6, 8, 10]);
    expect(await bot.history()).toHaveLength(10);
  });

  it('oversized runtime state is refused when set', () => {
    const bot = agent('big', { memory: { store, sessionId: 'big', mirrorRuntimeState: true } });
    expect(() => bot.setRuntimeState('native', { t1: 'x'.repeat(70 * 1024) })).toThrow(InvalidInputError);
    expect(() => bot.setRuntimeState('native', { t1: 'x'.repeat(70 * 1024) })).toThrow(/limit is 65536/);
  });
});

describe('Agent options', () => {
  it('needs a db or a store, and generates a session id when none is given', async () => {
    expect(() => new Agent({ name: 'x', instructions: '', memory: {} })).toThrow(/memory\.db .* or memory\.store/);
    const bot = new Agent({ name: 'x', instructions: '', llm: { model: 'echo' }, memory: { db: ':memory:' } });
    expect(bot.sessionId).toMatch(/^s-[0-9a-z]{16}$/);
    expect(await bot.start('hi')).toBe('echo: hi (offline echo model; 0 earlier messages in this conversation)');
    await bot.close();
    await expect(bot.start('again')).rejects.toThrow(/is closed/);
  });
});
