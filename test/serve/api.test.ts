import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { sqliteTestFile } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { runTs } from '../support/processes.js';
import type { FakeOpenAI } from '../fakes/fake-openai-server.js';
import { bearer, createKey, readSse, SERVE_ENV, serveWorld, shownText, startServeProcess, type ServeProcess } from './serve-world.js';

describe('threadline serve: the HTTP API on Postgres', () => {
  const world = serveWorld('serve_api');
  const { db } = world;
  let serve: ServeProcess;
  let key: string;
  let scoped: string;
  let llm: FakeOpenAI;
  beforeAll(() => ({ serve, key, scoped, llm } = world));


  it('streams a turn as start, deltas and done, commits it, and the next turn sees it', async () => {
    const { response, events } = await readSse(`${serve.url}/v1/sessions/s1/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'hello' }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(events[0]).toMatchObject({ event: 'start', id: '0', data: { sessionId: 's1' } });
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.reply).toBe('reply to: hello (saw 2 messages)');
    expect(shownText(events)).toBe(done.data.reply);
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(0);
    expect(done.data.turn).toBe(1);
    expect(done.data.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'reply to: hello (saw 2 messages)'],
    ]);
    // Every event has an id, increasing: what a client resumes from.
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const second = await fetch(`${serve.url}/v1/sessions/s1/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'again', stream: false }) });
    expect(second.status).toBe(200);
    const body = (await second.json()) as { reply: string; turn: number; messages: unknown[] };
    expect(body).toMatchObject({ reply: 'reply to: again (saw 4 messages)', turn: 2 });
    expect(body.messages).toHaveLength(2);

    const session = await (await fetch(`${serve.url}/v1/sessions/s1`, { headers: bearer(key) })).json();
    expect(session).toMatchObject({ id: 's1', messageCount: 4, version: 2 });
    const page = (await (await fetch(`${serve.url}/v1/sessions/s1/messages?after=1&limit=2`, { headers: bearer(key) })).json()) as { messages: Array<{ seq: number }> };
    expect(page.messages.map((m) => m.seq)).toEqual([2, 3]);
    const listed = (await (await fetch(`${serve.url}/v1/sessions?prefix=s`, { headers: bearer(key) })).json()) as { sessions: Array<{ id: string }> };
    expect(listed.sessions.map((s) => s.id)).toContain('s1');
  });

  it('refuses requests without a live key, outside a key\'s prefix, and bad input, each with a JSON error', async () => {
    const post = (headers: Record<string, string>, body: string, session = 'acme:1') => fetch(`${serve.url}/v1/sessions/${encodeURIComponent(session)}/messages`, { method: 'POST', headers, body });
    const none = await post({ 'content-type': 'application/json' }, '{"text":"hi"}');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'missing_key' });
    const wrong = await post(bearer('tl_not-a-key'), '{"text":"hi"}');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'invalid_key' });

    const outside = await post(bearer(scoped), '{"text":"hi","stream":false}', 'other:1');
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: string }).error).toContain('acme:');
    expect((await fetch(`${serve.url}/v1/sessions/s1`, { headers: bearer(scoped) })).status).toBe(403);
    expect((await fetch(`${serve.url}/v1/sessions?prefix=s`, { headers: bearer(scoped) })).status).toBe(403);
    expect((await fetch(`${serve.url}/v1/admin/inbox`, { headers: bearer(scoped) })).status).toBe(403);
    const inside = await post(bearer(scoped), '{"text":"hi","stream":false}', 'acme:1');
    expect(inside.status).toBe(200);
    expect(await (await fetch(`${serve.url}/v1/key`, { headers: bearer(scoped) })).json()).toEqual({ name: 'acme', sessionsPrefix: 'acme:', operator: false });
    expect(await (await fetch(`${serve.url}/v1/key`, { headers: bearer(key) })).json()).toEqual({ name: 'ops', operator: true });
    const own = (await (await fetch(`${serve.url}/v1/sessions`, { headers: bearer(scoped) })).json()) as { sessions: Array<{ id: string }> };
    expect(own.sessions.map((s) => s.id)).toEqual(['acme:1']);

    const malformed = await post(bearer(key), '{"text": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: expect.any(String), code: expect.any(String) });
    const missingText = await post(bearer(key), '{"txt":"hi"}');
    expect(missingText.status).toBe(400);
    expect(((await missingText.json()) as { error: string }).error).toMatch(/text/);
    const huge = await post(bearer(key), JSON.stringify({ text: 'x'.repeat(2_000_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: 'body_too_large' });
    const longId = await post(bearer(key), '{"text":"hi"}', 'x'.repeat(600));
    expect(longId.status).toBe(400);
    expect(((await longId.json()) as { error: string }).error).toMatch(/600 characters/);

    // Revoked in another process (the CLI): refused from the next request on.
    const doomed = await createKey(db, 'doomed');
    expect((await fetch(`${serve.url}/v1/sessions`, { headers: bearer(doomed) })).status).toBe(200);
    const revoke = await runTs(CLI_MAIN, ['keys', 'revoke', 'doomed', '--db', db], { env: SERVE_ENV });
    expect(revoke.code).toBe(0);
    const revoked = await fetch(`${serve.url}/v1/sessions`, { headers: bearer(doomed) });
    expect(revoked.status).toBe(401);
  });

  it('answers a retried request with an Idempotency-Key from the first one: never a second turn', async () => {
    const headers = bearer(key, { 'idempotency-key': 'req-1' });
    const first = await fetch(`${serve.url}/v1/sessions/idem/messages`, { method: 'POST', headers, body: JSON.stringify({ text: 'once', stream: false }) });
    const again = await readSse(`${serve.url}/v1/sessions/idem/messages`, { method: 'POST', headers, body: JSON.stringify({ text: 'once' }) });
    expect(first.status).toBe(200);
    const result = (await first.json()) as { reply: string; turn: number };
    expect(again.events.at(-1)).toMatchObject({ event: 'done', data: { reply: result.reply, turn: result.turn } });
    const session = (await (await fetch(`${serve.url}/v1/sessions/idem`, { headers: bearer(key) })).json()) as { messageCount: number };
    expect(session.messageCount).toBe(2);
    const elsewhere = await fetch(`${serve.url}/v1/sessions/idem-other/messages`, { method: 'POST', headers, body: JSON.stringify({ text: 'once', stream: false }) });
    expect(elsewhere.status).toBe(422);
  });

  it('answers an entry of the release before payload versions; dead-letters one of a newer release, and the admin API says why', async () => {
    const message = { platform: 'http', botId: 'serve', chatId: 'ops', userId: 'ops', eventId: 'old-1', text: 'from before', isPrivate: true, addressed: true, replyTarget: { chatId: 'mixed' }, sessionId: 'mixed' };
    const store = await openStore(db);
    try {
      await store.enqueueInbox({ sessionId: 'mixed', eventKey: 'http:serve:old-1', queue: 'http', payload: message });
      await store.enqueueInbox({ sessionId: 'mixed', eventKey: 'http:serve:new-1', queue: 'http', payload: { ...message, eventId: 'new-1', text: 'from later', v: 7 } });
    } finally {
      await store.close();
    }
    type Entry = { eventKey: string; status: string; text?: string; lastError?: string; payloadError?: string };
    const entries = await eventually('both entries settled', async () => {
      const { entries: all } = (await (await fetch(`${serve.url}/v1/admin/inbox?sessionId=mixed`, { headers: bearer(key) })).json()) as { entries: Entry[] };
      return all.length === 2 && all.every((e) => e.status !== 'pending') ? all : undefined;
    });
    const reason = 'unreadable inbox payload: version 7 is newer than this Threadline (1); upgrade the worker';
    expect(entries).toEqual([
      expect.objectContaining({ eventKey: 'http:serve:new-1', status: 'dead', text: 'from later', lastError: reason, payloadError: reason }),
      expect.objectContaining({ eventKey: 'http:serve:old-1', status: 'done', text: 'from before' }),
    ]);
    expect(entries[1]).not.toHaveProperty('payloadError');
  });

  it('ends a turn the model refuses for good with an error event, dead-lettered, and an operator can retry it', async () => {
    llm.setHandler(() => ({ status: 400, errorMessage: 'bad request from the fake' }));
    const { events } = await readSse(`${serve.url}/v1/sessions/dead/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'fail' }) });
    llm.setHandler((request) => ({ content: `reply to: ${String(request.messages.at(-1)!.content)}` }));
    const end = events.at(-1)!;
    expect(end).toMatchObject({ event: 'error', data: { code: 'dead_letter', error: expect.any(String) } });
    const turnId = events[0].data.turnId as string;
    const dead = (await (await fetch(`${serve.url}/v1/admin/inbox?status=dead&sessionId=dead`, { headers: bearer(key) })).json()) as { entries: Array<{ id: number }> };
    expect(dead.entries.map((e) => String(e.id))).toEqual([turnId]);
    const timeline = (await (await fetch(`${serve.url}/v1/admin/inbox/${turnId}`, { headers: bearer(key) })).json()) as { attempts: Array<{ errorClass: string }> };
    expect(timeline.attempts.at(-1)?.errorClass).toBe('permanent');
    expect((await fetch(`${serve.url}/v1/admin/inbox/${turnId}/retry`, { method: 'POST', headers: bearer(key) })).status).toBe(200);
    // The retried entry's turn is followed to its new end.
    const resumed = await readSse(`${serve.url}/v1/sessions/dead/turns/${turnId}/events`, { headers: bearer(key) });
    expect(resumed.events.at(-1)).toMatchObject({ event: 'done', data: { reply: 'reply to: fail' } });
    expect((await fetch(`${serve.url}/v1/admin/inbox/${turnId}/retry`, { method: 'POST', headers: bearer(key) })).status).toBe(409);
  });

  it('deletes a session, lists the model, and describes itself in /openapi.json', async () => {
    await fetch(`${serve.url}/v1/sessions/gone/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'x', stream: false }) });
    expect((await fetch(`${serve.url}/v1/sessions/gone`, { method: 'DELETE', headers: bearer(key) })).status).toBe(204);
    expect((await fetch(`${serve.url}/v1/sessions/gone`, { headers: bearer(key) })).status).toBe(404);
    const models = (await (await fetch(`${serve.url}/v1/models`, { headers: bearer(key) })).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['fake-model']);
    const spec = (await (await fetch(`${serve.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/messages', '/v1/sessions/{id}/turns/{turnId}/events', '/v1/models', '/v1/chat/completions', '/v1/admin/inbox']),
    );
  });
});

describe('threadline serve on SQLite (the embedded default)', () => {
  it('streams, answers as JSON, and replays a finished turn', async () => {
    const db = sqliteTestFile('serve_sqlite');
    const key = await createKey(db, 'local');
    const serve = await startServeProcess(db, ['--model', 'echo']);
    try {
      const { events } = await readSse(`${serve.url}/v1/sessions/local/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'hi' }) });
      const done = events.at(-1)!;
      expect(done).toMatchObject({ event: 'done', data: { turn: 1, reply: expect.stringContaining('echo: hi') } });
      expect(shownText(events)).toBe(done.data.reply);
      const json = (await (await fetch(`${serve.url}/v1/sessions/local/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'again', stream: false }) })).json()) as { reply: string };
      expect(json.reply).toContain('2 earlier messages');
      const replay = await readSse(`${serve.url}/v1/sessions/local/turns/${events[0].data.turnId}/events`, { headers: bearer(key) });
      expect(shownText(replay.events)).toBe(done.data.reply);
      expect(replay.events.at(-1)).toMatchObject({ event: 'done', data: { turn: 1 } });
    } finally {
      await serve.stop();
    }
  });
});

describe('threadline serve: limits', () => {
  it('answers 429 with Retry-After past the per-key rate limit', async () => {
    const db = sqliteTestFile('serve_rate');
    const key = await createKey(db, 'k');
    const serve = await startServeProcess(db, ['--model', 'echo', '--rate-limit', '3']);
    try {
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${serve.url}/v1/sessions`, { headers: bearer(key) });
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited!.json()).toMatchObject({ code: 'rate_limited' });

      // A second serve on the same port: one line, bad input.
      const port = new URL(serve.url).port;
      const clash = await runTs(CLI_MAIN, ['serve', '--db', db, '--model', 'echo', '--port', port], { env: SERVE_ENV });
      expect(clash.code).toBe(2);
      expect(clash.stderr.trim()).toMatch(new RegExp(`^threadline: port ${port} on 127\\.0\\.0\\.1 is in use`));
      expect(clash.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await serve.stop();
    }
  });
});
