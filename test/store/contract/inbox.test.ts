import { describe, expect, it } from 'vitest';
import { LockLostError } from '../../../src/store/errors.js';
import type { LockedSession } from '../../../src/store/types.js';
import { BACKENDS, storesClosedAfterEach } from '../backends.js';

describe.each(BACKENDS)('$name inbox, reply records and leases', ({ freshDb }) => {
  const openForTest = storesClosedAfterEach();
  const fresh = (db = freshDb('inbox')) => openForTest(db);

  it('records an event once and lists sessions with pending entries, oldest first', async () => {
    const store = await fresh();
    const first = await store.enqueueInbox({ sessionId: 'chat-b', eventKey: 'tg:1:100', payload: { text: 'hi' } });
    expect(first).toMatchObject({ duplicate: false });
    expect(await store.enqueueInbox({ sessionId: 'chat-b', eventKey: 'tg:1:100', payload: { text: 'hi' } })).toEqual({ id: null, duplicate: true });
    await store.enqueueInbox({ sessionId: 'chat-a', eventKey: 'tg:1:101', payload: { text: 'yo' } });
    await store.enqueueInbox({ sessionId: 'chat-b', eventKey: 'tg:1:102', payload: { text: 'again' } });
    expect(await store.pendingInboxSessions()).toEqual(['chat-b', 'chat-a']);

    const entries = await store.withSessionLock('chat-b', (s) => s.pendingInbox());
    expect(entries.map((e) => e.payload)).toEqual([{ text: 'hi' }, { text: 'again' }]);
    expect(entries[0]).toMatchObject({ sessionId: 'chat-b', eventKey: 'tg:1:100', id: first.id, replyParts: [] });
  });

  it('selects sessions by queue, and takes another queue\'s entries only under a session-id prefix', async () => {
    const store = await fresh();
    // A bot's own queue, and the platform's shared queue an older version recorded every bot's messages in.
    await store.enqueueInbox({ sessionId: 'tg:1:old', eventKey: 'k1', queue: 'tg', payload: {} });
    await store.enqueueInbox({ sessionId: 'tg:2:old', eventKey: 'k2', queue: 'tg', payload: {} });
    await store.enqueueInbox({ sessionId: 'tg:12:old', eventKey: 'k3', queue: 'tg', payload: {} });
    await store.enqueueInbox({ sessionId: 'tg:1:new', eventKey: 'k4', queue: 'tg:1', payload: {} });
    await store.enqueueInbox({ sessionId: 'tg:2:new', eventKey: 'k5', queue: 'tg:2', payload: {} });
    await store.enqueueInbox({ sessionId: 'other', eventKey: 'k6', queue: 'x', payload: {} });
    expect(await store.pendingInboxSessions(10, 'tg:1')).toEqual(['tg:1:new']);
    expect(await store.pendingInboxSessions(10, { queue: 'tg:1' })).toEqual(['tg:1:new']);
    // `tg:12:` does not start with `tg:1:`: the prefix ends with the separator.
    expect(await store.pendingInboxSessions(10, { queue: 'tg:1', also: { queue: 'tg', sessionPrefix: 'tg:1:' } })).toEqual(['tg:1:old', 'tg:1:new']);
    expect(await store.pendingInboxSessions(10, { queue: 'tg:2', also: { queue: 'tg', sessionPrefix: 'tg:2:' } })).toEqual(['tg:2:old', 'tg:2:new']);
    expect(await store.pendingInboxSessions(1, { queue: 'tg:2', also: { queue: 'tg', sessionPrefix: 'tg:2:' } })).toEqual(['tg:2:old']);
    expect(await store.pendingInboxSessions(10)).toEqual(['tg:1:old', 'tg:2:old', 'tg:12:old', 'tg:1:new', 'tg:2:new', 'other']);
  });

  it('marks the entries a turn answers done in the same commit, even from another session it holds', async () => {
    const store = await fresh();
    const a = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: {} });
    const b = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e2', payload: {} });
    await store.withSessionLock('chat', async (chat) => {
      // the chat's active conversation is another session, held under its own lock
      await store.withSessionLock('chat~2', (conversation) =>
        conversation.appendTurn([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], { completeInbox: [a.id!] }),
      );
      expect((await chat.pendingInbox()).map((e) => e.id)).toEqual([b.id]);
      await chat.completeInbox([b.id!], 'refused');
      expect(await chat.pendingInbox()).toEqual([]);
    });
    expect(await store.pendingInboxSessions()).toEqual([]);
    expect((await store.fullHistory('chat~2')).length).toBe(2);
  });

  it('hands reply parts posted before a crash to the next attempt with the entry, and merges session metadata', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: {} });
    await store.withSessionLock('chat', async (s) => {
      await s.recordReplyPart(id!, 0, 'm-10');
      await s.recordReplyPart(id!, 1, 'm-11');
      await s.updateMetadata({ conversation: 'chat~2' });
      await s.updateMetadata({ platform: 'telegram' });
    });
    const [entry] = await store.withSessionLock('chat', (s) => s.pendingInbox());
    expect(entry.replyParts).toEqual([
      { part: 0, platformMessageId: 'm-10' },
      { part: 1, platformMessageId: 'm-11' },
    ]);
    expect((await store.getSession('chat'))?.metadata).toEqual({ conversation: 'chat~2', platform: 'telegram' });
  });

  it('refuses inbox writes from a holder that lost the lock', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: {} });
    let stale: LockedSession | undefined;
    await store.withSessionLock('chat', async (s) => {
      stale = s;
    });
    await store.withSessionLock('chat', async () => {
      await expect(stale!.completeInbox([id!], 'done')).rejects.toBeInstanceOf(LockLostError);
      await expect(stale!.recordReplyPart(id!, 0, 'm')).rejects.toBeInstanceOf(LockLostError);
      await expect(stale!.updateMetadata({ x: 1 })).rejects.toBeInstanceOf(LockLostError);
    });
    expect(await store.pendingInboxSessions()).toEqual(['chat']);
  });

  it('gives a lease to one holder at a time, across store instances', async () => {
    const db = freshDb('lease');
    const one = await fresh(db);
    const two = await fresh(db);
    const lease = await one.tryAcquireLease('telegram-poll:42');
    expect(lease).not.toBeNull();
    expect(await two.tryAcquireLease('telegram-poll:42')).toBeNull();
    const other = await two.tryAcquireLease('telegram-poll:43');
    expect(other).not.toBeNull();
    await lease!.release();
    const taken = await two.tryAcquireLease('telegram-poll:42');
    expect(taken).not.toBeNull();
    await taken!.release();
    await other!.release();
  });

  it('purges answered entries past the retention, never pending ones', async () => {
    const store = await fresh();
    const done = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'old', payload: {} });
    await store.enqueueInbox({ sessionId: 'chat', eventKey: 'waiting', payload: {} });
    await store.withSessionLock('chat', async (s) => {
      await s.recordReplyPart(done.id!, 0, 'm-1');
      await s.completeInbox([done.id!], 'done');
    });
    expect(await store.purgeInbox(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.purgeInbox(new Date(Date.now() + 1_000))).toBe(1);
    // the pending entry is still there; the purged event key is free again
    expect(await store.pendingInboxSessions()).toEqual(['chat']);
    expect(await store.enqueueInbox({ sessionId: 'chat', eventKey: 'old', payload: {} })).toMatchObject({ duplicate: false });
  });

  it('tells listeners which session got a new entry', async () => {
    const db = freshDb('notify');
    const listener = await fresh(db);
    const writer = await fresh(db);
    const heard: string[] = [];
    const stop = await listener.onInboxActivity((sessionId) => heard.push(sessionId));
    await writer.enqueueInbox({ sessionId: 'chat-7', eventKey: 'e1', payload: {} });
    for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect(heard).toEqual(['chat-7']);
  });
});
