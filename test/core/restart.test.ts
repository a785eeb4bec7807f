import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { openStore } from '../../src/store/open-store.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { BACKENDS } from '../store/backends.js';
import { killAll, runTs } from '../support/processes.js';

const fixture = new URL('./fixtures/agent-turn.ts', import.meta.url).pathname;
let llm: FakeOpenAI;

beforeAll(async () => {
  llm = await startFakeOpenAI();
});
afterAll(() => llm.close());
afterEach(() => killAll());

async function turnInNewProcess(db: string, sessionId: string, text: string, mirror: boolean, state?: unknown) {
  const result = await runTs(fixture, [db, sessionId, text, mirror ? 'mirror' : 'off', state === undefined ? '-' : JSON.stringify(state)], {
    env: { OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'test-key' },
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { reply: string; restoredState: unknown };
}

describe.each(BACKENDS)('$name: a session resumes in a new process', ({ freshDb }) => {
  it('process 2 sees process 1’s exchange, and mirrored runtime state comes back', async () => {
    const db = freshDb('seed');
    const state = { 'turn-1': { toolCallIds: ['call_1', 'call_2'], transcript: 'native://t/1' } };
    const first = await turnInNewProcess(db, 'session-001', 'My favorite color is blue', true, state);
    expect(first.restoredState).toBeNull();
    const requestsBefore = llm.requests.length;

    const second = await turnInNewProcess(db, 'session-001', "What's my favorite color?", true);
    expect(second.restoredState).toEqual(state);
    const request = llm.requests[requestsBefore];
    expect(request.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'You are a helpful assistant.'],
      ['user', 'My favorite color is blue'],
      ['assistant', first.reply],
      ['user', "What's my favorite color?"],
    ]);

    const store = await openStore(db);
    expect((await store.fullHistory('session-001')).map((m) => m.content)).toEqual([
      'My favorite color is blue',
      first.reply,
      "What's my favorite color?",
      second.reply,
    ]);
    expect(await store.getRuntimeState('session-001')).toEqual({ native: state });
    expect((await store.getSession('session-001'))?.metadata).toMatchObject({ agentName: 'Bot', userId: 'user123' });
    await store.close();
  });

  it('without mirroring, runtime state is never stored', async () => {
    const db = freshDb('nomirror');
    const agent = new Agent({ name: 'Bot', instructions: 'Hi.', llm: { model: 'echo' }, memory: { db, sessionId: 'plain' } });
    agent.setRuntimeState('native', { 'turn-1': { toolCallIds: ['call_1'] } });
    await agent.start('hello');
    expect(await agent.getRuntimeState('native')).toEqual({ 'turn-1': { toolCallIds: ['call_1'] } });
    await agent.close();

    const restarted = new Agent({ name: 'Bot', instructions: 'Hi.', llm: { model: 'echo' }, memory: { db, sessionId: 'plain', mirrorRuntimeState: true } });
    expect(await restarted.getRuntimeState('native')).toBeNull();
    await restarted.close();
    const store = await openStore(db);
    expect(await store.getRuntimeState('plain')).toBeNull();
    await store.close();
  });
});
