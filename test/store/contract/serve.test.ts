import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ApiKeyNameTakenError, InvalidInputError, LockLostError } from '../../../src/store/errors.js';
import { POSTGRES_MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import type { HistoryStore, LockedSession, NewMessage, StoredMessage } from '../../../src/store/types.js';
import { pgAdminQuery, schemaOf } from '../../support/databases.js';
import { eventually } from '../../support/eventually.js';
import { BACKENDS, storesClosedAfterEach } from '../backends.js';

const user = (content: string): NewMessage => ({ role: 'user', content });
const assistant = (content: string): NewMessage => ({ role: 'assistant', content });
/** Bounded: a notification that has not come in this long is not coming. */
const HEARD_WITHIN_MS = 5_000;

/** The schema version this code migrates each backend to: SQLite has no counterpart of Postgres's migration 4. */
/** The newest schema this code knows: a store opened by it is migrated that far. */
const LATEST = { postgres: POSTGRES_MIGRATIONS.length, sqlite: SQLITE_MIGRATIONS.length } as const;
/** The migration that added what serve needs (followed entries, turn logs, API keys). */
const SERVE_MIGRATION = { postgres: 5, sqlite: 4 } as const;

describe.each(BACKENDS)('$name store for serve: turn events, API keys, inbox stats, message pages', ({ name, freshDb, loseLockUnderneath }) => {
  const openForTest = storesClosedAfterEach();
  const fresh = (db = freshDb('serve')) => openForTest(db);
  const enqueue = async (store: HistoryStore, eventKey: string, extra: { queue?: string; followed?: boolean; refused?: string; sessionId?: string } = {}) =>
    (await store.enqueueInbox({ sessionId: extra.sessionId ?? 'chat', eventKey, payload: { eventKey }, ...extra })).id!;

  const eventsOf = async (store: HistoryStore, inboxId: number) => (await store.turnProgress(inboxId))!.events;
  /** Turn event rows of an entry, straight from the table. */
  const turnEventRows = async (db: string, inboxId: number): Promise<number> => {
    if (name === 'postgres') {
      const rows = await pgAdminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schemaOf(db)}".turn_events WHERE inbox_id = $1`, [inboxId]);
      return rows[0].n;
    }
    const raw = new Database(db);
    try {
      return (raw.prepare('SELECT count(*) AS n FROM turn_events WHERE inbox_id = ?').get(inboxId) as { n: number }).n;
    } finally {
      raw.close();
    }
  };

  it('numbers an entry’s turn events 1, 2, 3, … across calls and locks, keeps their data as given, and pages them', async () => {
    const store = await fresh();
    const a = await enqueue(store, 'a');
    const b = await enqueue(store, 'b');
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(a, [
        { kind: 'text', data: 'Hel' },
        { kind: 'text', data: 'lo' },
      ]);
      await s.recordTurnEvents(b, [{ kind: 'text', data: { delta: 'other entry' } }]);
      await s.recordTurnEvents(a, [{ kind: 'restart', data: null }]);
    });
    await store.withSessionLock('chat', (s) => s.recordTurnEvents(a, [{ kind: 'text', data: { delta: '!', parts: [1, 2] } }, { kind: 'end', data: undefined }]));

    const events = (await store.turnProgress(a))!.events;
    expect(events.map((e) => [e.seq, e.kind, e.data])).toEqual([
      [1, 'text', 'Hel'],
      [2, 'text', 'lo'],
      [3, 'restart', null],
      [4, 'text', { delta: '!', parts: [1, 2] }],
      [5, 'end', null],
    ]);
    expect(events.every((e) => e.at instanceof Date && Math.abs(e.at.getTime() - Date.now()) < 60_000)).toBe(true);
    expect((await eventsOf(store, b)).map((e) => [e.seq, e.data])).toEqual([[1, { delta: 'other entry' }]]);

    expect(await store.turnProgress(a, 2, 2)).toMatchObject({ events: [{ seq: 3 }, { seq: 4 }], more: true });
    expect(await store.turnProgress(a, 3, 2)).toMatchObject({ events: [{ seq: 4 }, { seq: 5 }], more: false });
    expect(await store.turnProgress(a, 4)).toMatchObject({ events: [{ seq: 5 }], more: false });
    expect(await store.turnProgress(a, 5)).toMatchObject({ events: [], more: false });
    // Past any seq there is (a Last-Event-ID is any whole number a client sends): nothing, not a database error.
    expect(await store.turnProgress(a, 2 ** 40)).toMatchObject({ events: [], more: false });
    expect(await store.turnProgress(b + 1000)).toBeNull();
  });

  it('reads at most 1000 turn events a call by default, and pages on after the last one read', async () => {
    const store = await fresh();
    const a = await enqueue(store, 'a');
    const many = Array.from({ length: 1001 }, (_, i) => ({ kind: 'text', data: `d${i + 1}` }));
    await store.withSessionLock('chat', (s) => s.recordTurnEvents(a, many));
    const first = (await store.turnProgress(a))!;
    expect(first.events.length).toBe(1000);
    expect(first.events.at(-1)).toMatchObject({ seq: 1000, data: 'd1000' });
    expect(first.more).toBe(true);
    const capped = (await store.turnProgress(a, 0, 5000))!;
    expect(capped.events).toHaveLength(1000);
    expect(capped.more).toBe(true);
    const rest = (await store.turnProgress(a, 1000))!;
    expect(rest.events.map((e) => [e.seq, e.data])).toEqual([[1001, 'd1001']]);
    expect(rest.more).toBe(false);
  });

  it('gives an entry’s progress in one look: its fate, last notice, events and, once answered, the answering turn', async () => {
    const store = await fresh();
    const toolCall = { id: 'c1', type: 'function' as const, function: { name: 'clock', arguments: '{}' } };
    await store.appendTurn('chat', [user('earlier'), assistant('turn 1')]);
    const answered = await enqueue(store, 'answered');
    const dead = await enqueue(store, 'dead');
    const quiet = await enqueue(store, 'quiet');
    const refused = await enqueue(store, 'refused', { refused: 'not for us' });
    // Answered by a turn of another session (a chat whose active conversation is that one), under both locks.
    const elsewhere = await enqueue(store, 'elsewhere');

    expect(await store.turnProgress(answered)).toEqual({ sessionId: 'chat', status: 'pending', events: [], more: false });
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(answered, [{ kind: 'delta', data: { text: 'Hi' } }]);
      await s.appendTurn(
        [user('q'), { role: 'assistant', content: null, toolCalls: [toolCall] }, { role: 'tool', content: '12:00', name: 'clock', toolCallId: 'c1' }, { ...assistant('Hi there'), metadata: { model: 'm' } }],
        { completeInbox: [answered] },
      );
      await s.recordNotice(dead, 'still working');
      await s.recordNotice(dead, 'sorry, I could not answer');
      await s.completeInbox([dead], 'dead', { stage: 'generating', errorClass: 'permanent', error: 'model failed' });
      await s.completeInbox([quiet], 'dead', { stage: 'generating', errorClass: 'permanent', error: 'gave up' });
    });
    await store.withSessionLock('chat', () => store.withSessionLock('conv', (conv) => conv.appendTurn([user('x'), assistant('from conv')], { completeInbox: [elsewhere] })));

    const done = (await store.turnProgress(answered))!;
    expect(done).toMatchObject({ sessionId: 'chat', status: 'done', answeredBy: { sessionId: 'chat', turn: 2 }, more: false });
    expect(done.events.map((e) => [e.seq, e.kind, e.data])).toEqual([[1, 'delta', { text: 'Hi' }]]);
    expect(done.events[0].at).toBeInstanceOf(Date);
    expect(done.lastNotice).toBeUndefined();
    expect(done.lastError).toBeUndefined();
    // The answer is the turn as readMessages gives it (times to the millisecond: the driver's own parse may round down one).
    const turn = await store.readMessages('chat', { turn: 2 });
    const untimed = (messages: StoredMessage[]) => messages.map(({ createdAt: _, ...m }) => m);
    expect(untimed(done.answer!)).toEqual(untimed(turn));
    expect(done.answer!.map((m, i) => Math.abs(m.createdAt.getTime() - turn[i].createdAt.getTime()))).toEqual(turn.map(() => expect.toBeOneOf([0, 1])));
    expect(done.answer![1].toolCalls).toEqual([toolCall]);
    expect(done.answer![3].metadata).toEqual({ model: 'm' });
    // Events are read on from the one asked for; the fate comes with every look.
    expect(await store.turnProgress(answered, 1)).toMatchObject({ status: 'done', events: [], answeredBy: { turn: 2 } });

    expect(await store.turnProgress(dead)).toEqual({ sessionId: 'chat', status: 'dead', lastError: 'model failed', lastNotice: 'sorry, I could not answer', events: [], more: false });
    expect(await store.turnProgress(quiet)).toEqual({ sessionId: 'chat', status: 'dead', lastError: 'gave up', events: [], more: false });
    expect(await store.turnProgress(refused)).toEqual({ sessionId: 'chat', status: 'refused', lastError: 'not for us', events: [], more: false });
    const other = (await store.turnProgress(elsewhere))!;
    expect(other).toMatchObject({ sessionId: 'chat', status: 'done', answeredBy: { sessionId: 'conv', turn: 1 } });
    expect(other.answer!.map((m) => [m.sessionId, m.content])).toEqual([
      ['conv', 'x'],
      ['conv', 'from conv'],
    ]);

    // At most 1000 messages of the answering turn, its first ones.
    const big = await enqueue(store, 'big');
    await store.withSessionLock('chat', (s) => s.appendTurn(Array.from({ length: 1001 }, (_, i) => user(`m${i + 1}`)), { completeInbox: [big] }));
    const bigAnswer = (await store.turnProgress(big))!.answer!;
    expect(bigAnswer).toHaveLength(1000);
    expect(bigAnswer.at(-1)).toMatchObject({ content: 'm1000' });
  });

  it('refuses turn events from a holder that lost the lock, and writes none of them', async () => {
    const db = freshDb('fence');
    const store = await fresh(db);
    const a = await enqueue(store, 'a');
    let stale: LockedSession | undefined;
    await store.withSessionLock('chat', async (s) => {
      stale = s;
    });
    await store.withSessionLock('chat', async () => {
      await expect(stale!.recordTurnEvents(a, [{ kind: 'text', data: 'late' }])).rejects.toBeInstanceOf(LockLostError);
    });

    // The database refuses it too, when the handle cannot know its lock is gone.
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(a, [{ kind: 'text', data: 'held' }]);
      await loseLockUnderneath(db, s);
      await expect(s.recordTurnEvents(a, [{ kind: 'text', data: 'lost' }, { kind: 'text', data: 'lost too' }])).rejects.toBeInstanceOf(LockLostError);
    });
    expect((await eventsOf(store, a)).map((e) => e.data)).toEqual(['held']);
  });

  it('tells turn listeners of recorded events and of a followed entry’s fate, never of an unfollowed entry’s fate', async () => {
    const db = freshDb('turn_notify');
    const listener = await fresh(db);
    const writer = await fresh(db);
    const heard: number[] = [];
    const stop = await listener.onTurnActivity((inboxId) => heard.push(inboxId));
    // 0 means "look again" after a reconnect: not an entry, and not what this test is about.
    const entries = () => heard.filter((id) => id !== 0);
    const hear = (id: number, times = 1) =>
      eventually(`a turn notification for entry ${id}`, () => (entries().filter((x) => x === id).length >= times ? true : undefined), HEARD_WITHIN_MS);
    try {
      const bot = await enqueue(writer, 'bot');
      const followed = await enqueue(writer, 'followed', { followed: true });
      // Turn events are news whether or not the entry is followed.
      await writer.withSessionLock('chat', (s) => s.recordTurnEvents(bot, [{ kind: 'text', data: 'x' }]));
      await hear(bot);

      // completeInbox: the unfollowed entry's fate first, so its notification (were there one) would come first.
      await writer.withSessionLock('chat', async (s) => {
        await s.completeInbox([bot], 'done');
        await s.completeInbox([followed], 'dead', { stage: 'generating', errorClass: 'permanent', error: 'gave up' });
      });
      await hear(followed);
      expect(entries()).toEqual([bot, followed]);

      // A turn that answers both kinds at once.
      const bot2 = await enqueue(writer, 'bot2');
      const followed2 = await enqueue(writer, 'followed2', { followed: true });
      await writer.withSessionLock('chat', (s) => s.appendTurn([user('hi'), assistant('hello')], { completeInbox: [bot2, followed2] }));
      await hear(followed2);
      expect(entries()).toEqual([bot, followed, followed2]);

      // Refused at enqueue: a final fate at once.
      await enqueue(writer, 'refused-bot', { refused: 'not for us' });
      const refused = await enqueue(writer, 'refused-followed', { refused: 'not for us', followed: true });
      await hear(refused);
      expect(entries()).toEqual([bot, followed, followed2, refused]);

      // A dead followed entry tried again: its fate is open again, so its follower should look.
      const deadBot = await enqueue(writer, 'dead-bot');
      await writer.withSessionLock('chat', (s) => s.completeInbox([deadBot], 'dead'));
      expect(await writer.retryInbox(deadBot)).toBe(true);
      expect(await writer.retryInbox(followed)).toBe(true);
      await hear(followed, 2);
      expect(entries()).toEqual([bot, followed, followed2, refused, followed]);
    } finally {
      await stop();
    }
  });

  it('purging entries removes their turn events; a pending entry keeps its own', async () => {
    const db = freshDb('purge');
    const store = await fresh(db);
    const done = await enqueue(store, 'done');
    const pending = await enqueue(store, 'pending');
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(done, [{ kind: 'text', data: 'a' }]);
      await s.recordTurnEvents(pending, [{ kind: 'text', data: 'b' }]);
      await s.completeInbox([done], 'done');
    });
    expect(await store.purgeInbox(new Date(Date.now() + 1_000))).toBe(1);
    expect(await store.turnProgress(done)).toBeNull();
    // Counted in the table, not through the entry: rows left behind by the purge would show here.
    expect(await turnEventRows(db, done)).toBe(0);
    expect(await turnEventRows(db, pending)).toBe(1);
    expect((await eventsOf(store, pending)).map((e) => e.data)).toEqual(['b']);
  });

  it('keeps API keys by unique name, lists revoked ones, revokes once, and finds only live keys by digest', async () => {
    const store = await fresh();
    expect(await store.listApiKeys()).toEqual([]);
    const alpha = await store.createApiKey({ name: 'alpha', keyHash: 'h-alpha', sessionsPrefix: 'web:' });
    expect(alpha).toEqual({ name: 'alpha', sessionsPrefix: 'web:', createdAt: expect.any(Date) });
    const operator = await store.createApiKey({ name: 'Zed', keyHash: 'h-zed' });
    expect(operator).toEqual({ name: 'Zed', createdAt: expect.any(Date) });
    await store.createApiKey({ name: 'beta', keyHash: 'h-beta' });

    const clash = await store.createApiKey({ name: 'alpha', keyHash: 'h-other' }).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(ApiKeyNameTakenError);
    expect(clash).toBeInstanceOf(InvalidInputError);
    expect(clash).toMatchObject({ keyName: 'alpha' });
    // Two keys with one digest is a bug, not a name clash: it fails as the database's error.
    const sameDigest = await store.createApiKey({ name: 'gamma', keyHash: 'h-beta' }).catch((e: unknown) => e);
    expect(sameDigest).toBeInstanceOf(Error);
    expect(sameDigest).not.toBeInstanceOf(ApiKeyNameTakenError);

    expect(await store.findApiKey('h-alpha')).toEqual(alpha);
    expect(await store.revokeApiKey('alpha')).toBe(true);
    expect(await store.revokeApiKey('alpha')).toBe(false);
    expect(await store.revokeApiKey('nobody')).toBe(false);
    expect(await store.findApiKey('h-alpha')).toBeNull();
    expect(await store.findApiKey('h-zed')).toEqual(operator);
    expect(await store.findApiKey('h-unknown')).toBeNull();
    // A revoked key's name stays taken.
    await expect(store.createApiKey({ name: 'alpha', keyHash: 'h-alpha-2' })).rejects.toBeInstanceOf(ApiKeyNameTakenError);

    const keys = await store.listApiKeys();
    // By name, bytewise on both backends (whatever the Postgres database's collation).
    expect(keys.map((k) => k.name)).toEqual(['Zed', 'alpha', 'beta']);
    expect(keys[1]).toEqual({ ...alpha, revokedAt: expect.any(Date) });
    expect(keys[1].revokedAt!.getTime()).toBeGreaterThanOrEqual(alpha.createdAt.getTime());
    expect(keys.filter((k) => k.revokedAt).map((k) => k.name)).toEqual(['alpha']);
  });

  it('counts pending and dead entries per queue, with when the oldest pending one came', async () => {
    const store = await fresh();
    expect(await store.inboxStats()).toEqual([]);
    const t1 = await enqueue(store, 't1', { queue: 'telegram' });
    const t2 = await enqueue(store, 't2', { queue: 'telegram' });
    await enqueue(store, 't3', { queue: 'telegram', sessionId: 'other' });
    const s1 = await enqueue(store, 's1', { queue: 'slack' });
    await enqueue(store, 'r1', { refused: 'no chat' });
    await store.withSessionLock('chat', async (s) => {
      await s.completeInbox([t1], 'dead');
      await s.completeInbox([s1], 'done');
    });
    const oldest = (await store.inboxTimeline(t2))!.entry.receivedAt;
    expect(await store.inboxStats()).toEqual([
      { queue: '', pending: 0, dead: 0 },
      { queue: 'slack', pending: 0, dead: 0 },
      { queue: 'telegram', pending: 2, dead: 1, oldestPendingAt: oldest },
    ]);
  });

  it('reads a session’s messages a page at a time, or one turn’s', async () => {
    const store = await fresh();
    const toolCall = { id: 'c1', type: 'function' as const, function: { name: 'clock', arguments: '{}' } };
    await store.appendTurn('s', [user('q1'), assistant('a1')]);
    await store.appendTurn('s', [user('q2'), { role: 'assistant', content: null, toolCalls: [toolCall] }, { role: 'tool', content: '12:00', name: 'clock', toolCallId: 'c1' }, assistant('a2')]);
    await store.appendTurn('s', [user('q3'), { ...assistant('a3'), metadata: { model: 'm' } }]);
    const all = await store.fullHistory('s');
    expect(all).toHaveLength(8);

    expect(await store.readMessages('s')).toEqual(all);
    expect(await store.readMessages('s', { limit: 3 })).toEqual(all.slice(0, 3));
    expect(await store.readMessages('s', { afterSeq: 3, limit: 3 })).toEqual(all.slice(3, 6));
    expect(await store.readMessages('s', { afterSeq: 6, limit: 3 })).toEqual(all.slice(6));
    expect(await store.readMessages('s', { afterSeq: 8 })).toEqual([]);
    expect(await store.readMessages('s', { turn: 2 })).toEqual(all.slice(2, 6));
    expect((await store.readMessages('s', { turn: 2 }))[1].toolCalls).toEqual([toolCall]);
    expect(await store.readMessages('s', { turn: 2, afterSeq: 4, limit: 1 })).toEqual([all[4]]);
    expect(await store.readMessages('s', { turn: 4 })).toEqual([]);
    expect(await store.readMessages('missing')).toEqual([]);

    await store.appendTurn('big', Array.from({ length: 1001 }, (_, i) => user(`m${i + 1}`)));
    expect(await store.readMessages('big')).toHaveLength(100);
    const capped = await store.readMessages('big', { limit: 5000 });
    expect(capped).toHaveLength(1000);
    expect(capped.at(-1)).toMatchObject({ seq: 1000, content: 'm1000' });
  });

  it('upgrades a store of the schema before serve: its entries are not followed and get turn logs', async () => {
    const db = freshDb('upgrade');
    const previous = SERVE_MIGRATION[name] - 1;
    if (name === 'postgres') {
      const schema = `"${schemaOf(db)}"`;
      const steps = POSTGRES_MIGRATIONS.slice(0, previous).map((m) => m(schema));
      const versions = steps.map((_, i) => `(${i + 1})`).join(', ');
      await pgAdminQuery(`
        CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        ${steps.join(';\n')};
        INSERT INTO ${schema}.schema_migrations (version) VALUES ${versions};
        INSERT INTO ${schema}.inbox (event_key, queue, session_id, payload) VALUES ('old', '', 'chat', '{}');`);
    } else {
      const raw = new Database(db);
      for (const step of SQLITE_MIGRATIONS.slice(0, previous)) raw.exec(step);
      raw.pragma(`user_version = ${previous}`);
      raw.prepare(`INSERT INTO inbox (event_key, queue, session_id, payload, received_at) VALUES ('old', '', 'chat', '{}', ?)`).run(Date.now());
      raw.close();
    }
    const store = await fresh(db);
    expect(await store.schemaVersion()).toEqual({ current: LATEST[name], latest: LATEST[name] });
    const heard: number[] = [];
    const stop = await store.onTurnActivity((id) => heard.push(id));
    try {
      const old = (await store.inboxTimeline('old'))!.entry.id;
      const followed = await enqueue(store, 'new', { followed: true });
      await store.withSessionLock('chat', async (s) => {
        await s.recordTurnEvents(old, [{ kind: 'text', data: 'from before' }]);
        await s.completeInbox([old], 'done');
        await s.completeInbox([followed], 'done');
      });
      await eventually('the followed entry’s fate', () => (heard.includes(followed) ? true : undefined), HEARD_WITHIN_MS);
      expect(heard.filter((id) => id !== 0)).toEqual([old, followed]);
      expect((await eventsOf(store, old)).map((e) => e.data)).toEqual(['from before']);
    } finally {
      await stop();
    }
  });
});
