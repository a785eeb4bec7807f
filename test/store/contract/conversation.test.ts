import { describe, expect, it } from 'vitest';
import { LockLostError, SessionBusyError, InvalidInputError } from '../../../src/store/errors.js';
import { openStore } from '../../../src/store/open-store.js';
import type { HistoryStore, NewMessage } from '../../../src/store/types.js';
import { BACKENDS, storesClosedAfterEach } from '../backends.js';

const user = (content: string): NewMessage => ({ role: 'user', content });
const assistant = (content: string): NewMessage => ({ role: 'assistant', content });

describe.each(BACKENDS)('$name history store', ({ freshDb }) => {
  const openForTest = storesClosedAfterEach();
  const fresh = () => openForTest(freshDb('contract'));

  it('resumes a session from a second store opened on the same database', async () => {
    const db = freshDb('resume');
    const first = await openStore(db);
    await first.appendTurn('s', [user('My favorite color is blue'), assistant('Noted.')], { metadata: { agentName: 'Bot', userId: 'u1' } });
    await first.close();

    const second = await openForTest(db);
    const history = await second.fullHistory('s');
    expect(history.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'user', 'My favorite color is blue'],
      [2, 'assistant', 'Noted.'],
    ]);
    expect(await second.getSession('s')).toMatchObject({ id: 's', messageCount: 2, version: 1, metadata: { agentName: 'Bot', userId: 'u1' } });
  });

  it('keeps a given creation time (imports) and stamps the commit time otherwise', async () => {
    const store = await fresh();
    const then = new Date('2025-03-04T05:06:07.890Z');
    const before = Date.now();
    await store.appendTurn('s', [{ role: 'user', content: 'old', createdAt: then }, { role: 'assistant', content: 'new' }]);
    const [old, fresh_] = await store.fullHistory('s');
    expect(old.createdAt.toISOString()).toBe(then.toISOString());
    expect(fresh_.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
  });

  it('stores tool calls, tool results and names as given', async () => {
    const store = await fresh();
    const toolCalls = [{ id: 'call_1', type: 'function' as const, function: { name: 'weather', arguments: '{"city":"Oslo"}' } }];
    await store.appendTurn('s', [
      { role: 'user', content: 'Weather?', name: 'alice' },
      { role: 'assistant', content: null, toolCalls },
      { role: 'tool', content: '{"c":3}', toolCallId: 'call_1', name: 'weather' },
      { role: 'assistant', content: '3 degrees', metadata: { model: 'm' } },
    ]);
    const [u, a, t, r] = await store.fullHistory('s');
    expect(u).toMatchObject({ role: 'user', name: 'alice', turn: 1 });
    expect(a).toMatchObject({ content: null, toolCalls });
    expect(t).toMatchObject({ role: 'tool', toolCallId: 'call_1', name: 'weather' });
    expect(r).toMatchObject({ content: '3 degrees', metadata: { model: 'm' } });
    expect(u.createdAt).toBeInstanceOf(Date);
  });

  it('loads a window that never starts inside a turn', async () => {
    const store = await fresh();
    // turns of 2, 4 (with a tool call) and 2 messages
    await store.appendTurn('s', [user('a'), assistant('A')]);
    await store.appendTurn('s', [
      user('b'),
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', content: 'r', toolCallId: 'c1' },
      assistant('B'),
    ]);
    await store.appendTurn('s', [user('c'), assistant('C')]);

    const seqs = async (maxMessages?: number) => (await store.loadWindow('s', { maxMessages })).map((m) => m.seq);
    expect(await seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await seqs(8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await seqs(7)).toEqual([3, 4, 5, 6, 7, 8]); // seq 2 would start mid-turn: the window starts at turn 2
    expect(await seqs(5)).toEqual([7, 8]); // turn 2 is cut, never its tool result without its call
    expect(await seqs(1)).toEqual([7, 8]); // the newest turn is always whole
    expect(await store.loadWindow('missing', { maxMessages: 5 })).toEqual([]);

    const budget = await store.loadWindow('s', { maxTokens: 12 });
    expect(budget.map((m) => m.seq)).toEqual([7, 8]);
  });

  it('keeps runtime state per runtime id, replaced as a whole, beside the messages', async () => {
    const store = await fresh();
    await store.appendTurn('s', [user('1')], { runtimeState: { native: { t1: { toolCallIds: ['a'] } } } });
    await store.appendTurn('s', [user('2')], { runtimeState: { plugin: { t2: { transcript: 'p://2' } } } });
    await store.appendTurn('s', [user('3')]);
    expect(await store.getRuntimeState('s')).toEqual({ native: { t1: { toolCallIds: ['a'] } }, plugin: { t2: { transcript: 'p://2' } } });
    await store.appendTurn('s', [user('4')], { runtimeState: { native: { t4: { toolCallIds: ['b'] } } } });
    expect((await store.getRuntimeState('s'))?.native).toEqual({ t4: { toolCallIds: ['b'] } });
    expect(await store.getRuntimeState('nobody')).toBeNull();
  });

  it('merges runtime state alike on every backend: each runtime named replaces its entry whole, an undefined one changes nothing', async () => {
    const store = await fresh();
    // A new session stores the patch as given.
    await store.appendTurn('s', [user('1')], { runtimeState: { a: { t1: { deep: { x: 1 } } }, b: { t1: 'b1' } } });
    // Not merged deeply: runtime a's entry is replaced, its t1 gone.
    await store.appendTurn('s', [user('2')], { runtimeState: { a: { t2: { deep: { y: 2 } } } } });
    expect(await store.getRuntimeState('s')).toEqual({ a: { t2: { deep: { y: 2 } } }, b: { t1: 'b1' } });
    // An undefined entry is what JSON makes of it: absent, so runtime b keeps its state; an empty patch keeps all.
    await store.appendTurn('s', [user('3')], { runtimeState: { b: undefined as unknown as Record<string, unknown>, c: {} } });
    await store.appendTurn('s', [user('4')], { runtimeState: {} });
    expect(await store.getRuntimeState('s')).toEqual({ a: { t2: { deep: { y: 2 } } }, b: { t1: 'b1' }, c: {} });
    // Under the lock, the handle reads what its commits merged.
    await store.withSessionLock('s', async (session) => {
      await session.appendTurn([user('5')], { runtimeState: { c: { t5: null } } });
      expect(await session.getRuntimeState()).toEqual({ a: { t2: { deep: { y: 2 } } }, b: { t1: 'b1' }, c: { t5: null } });
    });
    // A session that never stored any has none, and an empty patch on a new session stores an empty state.
    expect(await store.getRuntimeState('s2')).toBeNull();
    await store.appendTurn('s2', [user('1')], { runtimeState: {} });
    expect(await store.getRuntimeState('s2')).toEqual({});
  });

  it('refuses oversized runtime state and writes nothing', async () => {
    const store = await fresh();
    const big = { native: { t1: { blob: 'x'.repeat(70_000) } } };
    await expect(store.appendTurn('s', [user('1')], { runtimeState: big })).rejects.toThrow(/runtime state of runtime "native" is \d+ bytes: the limit is 65536/);
    expect(await store.getSession('s')).toBeNull();
  });

  it('lists sessions newest first with prefix, time filter and cursor paging', async () => {
    const store = await fresh();
    for (const id of ['tg:1', 'tg:2', 'dc:1', 'tg:3']) {
      await store.appendTurn(id, [user(id)]);
      await new Promise((r) => setTimeout(r, 5));
    }
    const firstPage = await store.listSessions({ prefix: 'tg:', limit: 2 });
    expect(firstPage.sessions.map((s) => s.id)).toEqual(['tg:3', 'tg:2']);
    const secondPage = await store.listSessions({ prefix: 'tg:', limit: 2, cursor: firstPage.nextCursor });
    expect(secondPage.sessions.map((s) => s.id)).toEqual(['tg:1']);
    expect(secondPage.nextCursor).toBeUndefined();
    const dc = (await store.listSessions({ prefix: 'dc:' })).sessions[0];
    expect((await store.listSessions({ updatedSince: dc.updatedAt })).sessions.map((s) => s.id)).toEqual(['tg:3', 'dc:1']);
    await expect(store.listSessions({ cursor: 'garbage' })).rejects.toThrow(InvalidInputError);
  });

  it('creates a session once when two callers race, and deletes it with its messages', async () => {
    const store = await fresh();
    const [a, b] = await Promise.all([store.ensureSession('s', { platform: 'x' }), store.ensureSession('s', { platform: 'y' })]);
    expect(a.createdAt).toEqual(b.createdAt);
    expect((await store.listSessions()).sessions).toHaveLength(1);
    await store.appendTurn('s', [user('1'), assistant('2')]);
    expect(await store.deleteSession('s')).toBe(true);
    expect(await store.deleteSession('s')).toBe(false);
    expect(await store.fullHistory('s')).toEqual([]);
    // A session of the same id starts over.
    expect(await store.appendTurn('s', [user('1')])).toEqual({ firstSeq: 1, lastSeq: 1, version: 1 });
  });

  it('serializes turns of one session inside one process and times out with SessionBusyError', async () => {
    const store = await fresh();
    const order: string[] = [];
    let release!: () => void;
    const held = store.withSessionLock('s', async () => {
      order.push('first in');
      await new Promise<void>((r) => (release = r));
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(store.withSessionLock('s', async () => order.push('never'), { waitMs: 100 })).rejects.toBeInstanceOf(SessionBusyError);
    const second = store.withSessionLock('s', async () => order.push('second'), { waitMs: 5_000 });
    // another session is not blocked
    await store.withSessionLock('other', async () => order.push('other'));
    release();
    await Promise.all([held, second]);
    expect(order).toEqual(['first in', 'other', 'first out', 'second']);
  });

  it('refuses a commit from a lock holder that lost its lock', async () => {
    const store = await fresh();
    let stale: Parameters<Parameters<HistoryStore['withSessionLock']>[1]>[0] | undefined;
    await store.withSessionLock('s', async (session) => {
      stale = session;
    });
    await expect(stale!.appendTurn([user('late')])).rejects.toBeInstanceOf(LockLostError);
    expect(await store.getSession('s')).toBeNull();
  });

  it('rejects empty, oversized and control-character session ids before writing', async () => {
    const store = await fresh();
    await expect(store.appendTurn('', [user('x')])).rejects.toThrow(/session id is empty/);
    await expect(store.appendTurn('x'.repeat(513), [user('x')])).rejects.toThrow(/513 characters long: the limit is 512/);
    await expect(store.appendTurn('a\nb', [user('x')])).rejects.toThrow(/control characters/);
    expect((await store.listSessions()).sessions).toEqual([]);
  });

  it('reports its schema version', async () => {
    const store = await fresh();
    const { current, latest } = await store.schemaVersion();
    expect(current).toBe(latest);
    expect(latest).toBeGreaterThanOrEqual(1);
  });
});
