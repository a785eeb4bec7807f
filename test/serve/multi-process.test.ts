import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgTestUrl } from '../support/databases.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { runTs } from '../support/processes.js';
import { bearer, createKey, readSse, SERVE_ENV, shownText, startServeProcess, type ServeProcess } from './serve-world.js';

/** Two serve processes on one Postgres, as behind a load balancer: one service. */
describe('threadline serve: two processes on one Postgres', () => {
  const db = pgTestUrl('serve_multi');
  let a: ServeProcess;
  let b: ServeProcess;
  let key: string;
  let llm: FakeOpenAI;

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    key = await createKey(db, 'lb');
    const args = ['--model', 'fake-model', '--base-url', llm.baseURL, '--rate-limit', '0'];
    [a, b] = await Promise.all([startServeProcess(db, args), startServeProcess(db, args)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await llm?.close();
  });

  it('answers 8 concurrent POSTs on one session one after another, each seeing the one before', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const server = i % 2 === 0 ? a : b;
        const response = await fetch(`${server.url}/v1/sessions/crowd/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: `m${i}`, stream: false }) });
        expect(response.status).toBe(200);
        return (await response.json()) as { reply: string; turn: number };
      }),
    );
    // Strictly serialized: the turns are 1..8, and turn n saw the 2(n-1) messages before it (plus system and input).
    expect(results.map((r) => r.turn).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const r of results) expect(r.reply).toMatch(new RegExp(`\\(saw ${2 * r.turn} messages\\)$`));
    const history = (await (await fetch(`${a.url}/v1/sessions/crowd/messages?limit=100`, { headers: bearer(key) })).json()) as { messages: Array<{ role: string; turn: number }> };
    expect(history.messages).toHaveLength(16);
    expect(history.messages.map((m) => m.role)).toEqual(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 'user' : 'assistant')));
  });

  it('serializes HTTP turns and `persistence resume --continue` turns on one session through the same lock', async () => {
    const http = Array.from({ length: 4 }, (_, i) =>
      fetch(`${(i % 2 === 0 ? a : b).url}/v1/sessions/mixed/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: `http${i}`, stream: false }) }).then((r) => r.status),
    );
    const cli = Array.from({ length: 4 }, (_, i) =>
      runTs(CLI_MAIN, ['persistence', 'resume', '--db', db, '--session-id', 'mixed', '--create', '--continue', `cli${i}`, '--model', 'fake-model', '--base-url', llm.baseURL], { env: SERVE_ENV }).then((r) => r.code),
    );
    expect(await Promise.all(http)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(cli)).toEqual([0, 0, 0, 0]);
    const history = (await (await fetch(`${a.url}/v1/sessions/mixed/messages?limit=100`, { headers: bearer(key) })).json()) as { messages: Array<{ role: string; content: string; turn: number }> };
    expect(history.messages).toHaveLength(16);
    // Each turn saw every turn before it, whichever path ran it: no two turns ever overlapped.
    const assistants = history.messages.filter((m) => m.role === 'assistant');
    expect(assistants.map((m) => Number(/saw (\d+) messages/.exec(m.content)![1]))).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(history.messages.map((m) => m.turn)).toEqual(Array.from({ length: 16 }, (_, i) => Math.floor(i / 2) + 1));
  });

  it('answers a retry sent to the other process with the first request\'s turn (Idempotency-Key)', async () => {
    const headers = bearer(key, { 'idempotency-key': 'cross-1' });
    const body = JSON.stringify({ text: 'only once', stream: false });
    const [first, retry] = await Promise.all([
      fetch(`${a.url}/v1/sessions/idem-x/messages`, { method: 'POST', headers, body }),
      fetch(`${b.url}/v1/sessions/idem-x/messages`, { method: 'POST', headers, body }),
    ]);
    const [one, two] = (await Promise.all([first.json(), retry.json()])) as Array<{ reply: string; turn: number }>;
    expect(two).toEqual(one);
    const session = (await (await fetch(`${b.url}/v1/sessions/idem-x`, { headers: bearer(key) })).json()) as { messageCount: number; version: number };
    expect(session).toMatchObject({ messageCount: 2, version: 1 });
  });

  it('completes a turn whose client left mid-stream, and the other process replays and follows it after Last-Event-ID', async () => {
    llm.setHandler(() => ({ content: 'one two three four five six seven eight nine ten', chunkDelayMs: 80 }));
    const partial = await readSse(
      `${a.url}/v1/sessions/leaver/messages`,
      { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'go' }) },
      { until: (_, all) => all.filter((e) => e.event === 'delta').length >= 2 },
    );
    const turnId = partial.events[0].data.turnId as string;
    const lastId = partial.events.at(-1)!.id!;
    expect(partial.events.at(-1)!.event).toBe('delta');

    const rest = await readSse(`${b.url}/v1/sessions/leaver/turns/${turnId}/events`, { headers: bearer(key, { 'last-event-id': lastId }) });
    const done = rest.events.at(-1)!;
    expect(done).toMatchObject({ event: 'done', data: { reply: 'one two three four five six seven eight nine ten', turn: 1 } });
    // What the client saw before leaving plus what it got after: the whole reply, nothing twice.
    expect(shownText([...partial.events, ...rest.events])).toBe(done.data.reply);
    expect(rest.events.every((e) => Number(e.id) > Number(lastId))).toBe(true);

    // A full replay from the start, after the end, from either process.
    const replay = await readSse(`${a.url}/v1/sessions/leaver/turns/${turnId}/events`, { headers: bearer(key) });
    expect(replay.events[0]).toMatchObject({ event: 'start', data: { turnId } });
    expect(shownText(replay.events)).toBe(done.data.reply);
    expect(replay.events.at(-1)).toMatchObject({ event: 'done' });
  });

  it('finishes the turn of a process killed mid-stream on another process: the follower sees a reset, then the whole reply', async () => {
    // A database of its own, so the victim is the only process that can take the turn while it streams.
    const crashDb = pgTestUrl('serve_crash');
    const crashKey = await createKey(crashDb, 'lb');
    const args = ['--model', 'fake-model', '--base-url', llm.baseURL, '--rate-limit', '0'];
    const victim = await startServeProcess(crashDb, args);
    let calls = 0;
    llm.setHandler(() => (++calls === 1 ? { content: 'alpha beta gamma delta epsilon zeta eta theta', chunkDelayMs: 150 } : { content: 'alpha beta gamma delta epsilon zeta eta theta' }));
    const partial = await readSse(
      `${victim.url}/v1/sessions/crash/messages`,
      { method: 'POST', headers: bearer(crashKey), body: JSON.stringify({ text: 'go' }) },
      { until: (_, all) => all.filter((e) => e.event === 'delta').length >= 2 },
    );
    const turnId = partial.events[0].data.turnId as string;
    victim.process.kill('SIGKILL');
    await victim.process.exited;
    // Its lock died with its connection; the entry is still pending, and the survivor answers it.
    const survivor = await startServeProcess(crashDb, args);
    try {
      const rest = await readSse(`${survivor.url}/v1/sessions/crash/turns/${turnId}/events`, { headers: bearer(crashKey, { 'last-event-id': partial.events.at(-1)!.id! }) });
      const done = rest.events.at(-1)!;
      expect(done).toMatchObject({ event: 'done', data: { reply: 'alpha beta gamma delta epsilon zeta eta theta', turn: 1 } });
      expect(rest.events.some((e) => e.event === 'reset')).toBe(true);
      expect(shownText([...partial.events, ...rest.events])).toBe(done.data.reply);
      expect(calls).toBe(2);
      const session = (await (await fetch(`${survivor.url}/v1/sessions/crash`, { headers: bearer(crashKey) })).json()) as { messageCount: number };
      expect(session.messageCount).toBe(2);
    } finally {
      await survivor.stop();
    }
  });
});
