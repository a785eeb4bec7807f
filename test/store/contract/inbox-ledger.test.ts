import { describe, expect, it } from 'vitest';
import { LockLostError } from '../../../src/store/errors.js';
import type { HistoryStore, LockedSession } from '../../../src/store/types.js';
import { BACKENDS, storesClosedAfterEach } from '../backends.js';

const failure = (error: string) => ({ stage: 'generating', errorClass: 'transient' as const, error });

describe.each(BACKENDS)('$name inbox fate ledger', ({ freshDb }) => {
  const openForTest = storesClosedAfterEach();
  const fresh = () => openForTest(freshDb('ledger'));
  const claim = (store: HistoryStore, limit = 50) => store.withSessionLock('chat', (s) => s.claimInbox(limit, 'host:1'));

  it('claims batches in order, stopping before a solo entry, and counts an attempt on each, durably', async () => {
    const store = await fresh();
    const ids: number[] = [];
    for (const [key, solo] of [['a', false], ['b', false], ['c', true], ['d', false]] as const) {
      ids.push((await store.enqueueInbox({ sessionId: 'chat', eventKey: key, payload: { key }, solo })).id!);
    }
    const first = await claim(store);
    expect(first.map((e) => e.eventKey)).toEqual(['a', 'b']);
    expect(first.map((e) => e.attempts)).toEqual([1, 1]);
    // Not completed (a crash): the next claim takes the same batch, on its second attempt.
    expect((await claim(store)).map((e) => [e.eventKey, e.attempts])).toEqual([['a', 2], ['b', 2]]);
    await store.withSessionLock('chat', (s) => s.completeInbox(ids.slice(0, 2), 'done'));
    expect((await claim(store)).map((e) => e.eventKey)).toEqual(['c']);
    await store.withSessionLock('chat', (s) => s.completeInbox([ids[2]], 'done'));
    expect((await claim(store, 1)).map((e) => e.eventKey)).toEqual(['d']);
    const timeline = await store.inboxTimeline(ids[0]);
    // The first claim never finished (a crash); the second ended when the entry was done.
    expect(timeline?.attempts.map((a) => [a.attempt, a.worker, a.stage, a.endedAt !== undefined])).toEqual([[1, 'host:1', 'claimed', false], [2, 'host:1', 'committed', true]]);
  });

  it('a reply part reported undelivered keeps the reason; found by message id within the queue only', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', queue: 'whatsapp:1', payload: {} });
    const { id: other } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'b', queue: 'whatsapp:2', payload: {} });
    await store.withSessionLock('chat', async (s) => {
      await s.recordReplyPart(id!, 0, 'wamid.A');
      await s.recordReplyPart(id!, 1, 'wamid.B');
      // Another bot's reply with the same id (ids are unique per account, not across accounts).
      await s.recordReplyPart(other!, 0, 'wamid.B');
    });
    expect(await store.noteUndelivered('whatsapp:1', 'wamid.B', '130472 experiment')).toEqual([id]);
    expect(await store.noteUndelivered('whatsapp:1', 'wamid.none', 'x')).toEqual([]);
    expect((await store.inboxTimeline(id!))?.replyParts).toEqual([
      { part: 0, platformMessageId: 'wamid.A' },
      { part: 1, platformMessageId: 'wamid.B', deliveryError: '130472 experiment' },
    ]);
    expect((await store.inboxTimeline(other!))?.replyParts).toEqual([{ part: 0, platformMessageId: 'wamid.B' }]);
    // A claimed entry carries it too (a later attempt sees which part never arrived).
    const [claimed] = await store.withSessionLock('chat', (s) => s.claimInbox(1, 'host:1'));
    expect(claimed.replyParts[1]).toEqual({ part: 1, platformMessageId: 'wamid.B', deliveryError: '130472 experiment' });
  });

  it('a deferred entry holds its session back until its next attempt is due, in every worker', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} });
    await store.enqueueInbox({ sessionId: 'chat', eventKey: 'b', payload: {} });
    await store.withSessionLock('chat', async (s) => {
      await s.claimInbox(1, 'host:1');
      await s.deferInbox([id!], failure('LLM answered HTTP 503'), new Date(Date.now() + 60_000));
    });
    expect(await store.pendingInboxSessions()).toEqual([]);
    expect(await claim(store)).toEqual([]);
    const [record] = await store.listInbox({ status: 'pending', limit: 1 });
    expect(record).toMatchObject({ eventKey: 'b' });
    const timeline = await store.inboxTimeline('a');
    expect(timeline?.entry).toMatchObject({ status: 'pending', attempts: 1, lastError: 'LLM answered HTTP 503' });
    expect(timeline?.entry.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now());
    expect(timeline?.attempts[0]).toMatchObject({ stage: 'generating', errorClass: 'transient', error: 'LLM answered HTTP 503' });

    // Due again: claimed again.
    await store.withSessionLock('chat', (s) => s.deferInbox([id!], failure('again'), new Date(Date.now() - 1)));
    expect(await store.pendingInboxSessions()).toEqual(['chat']);
    expect((await claim(store, 1)).map((e) => [e.eventKey, e.attempts])).toEqual([['a', 2]]);
  });

  it('an attempt deferred with refundAttempt (a rate limit) is not counted: the next one has its number again', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} });
    const rateLimited = { stage: 'delivering', errorClass: 'transient' as const, error: 'rate limited: retry after 2 s' };
    for (let i = 0; i < 3; i++) {
      await store.withSessionLock('chat', async (s) => {
        expect((await s.claimInbox(1, 'host:1')).map((e) => e.attempts)).toEqual([1]);
        await s.deferInbox([id!], rateLimited, new Date(Date.now() - 1), { refundAttempt: true });
      });
    }
    const timeline = await store.inboxTimeline('a');
    expect(timeline?.entry).toMatchObject({ status: 'pending', attempts: 0, lastError: 'rate limited: retry after 2 s' });
    // Every rate-limited attempt is in the ledger, each with the number the next one takes again.
    expect(timeline?.attempts.map((a) => [a.attempt, a.stage, a.error])).toEqual(Array(3).fill([1, 'delivering', 'rate limited: retry after 2 s']));
    // Without the refund the attempt counts as before.
    await store.withSessionLock('chat', async (s) => {
      await s.claimInbox(1, 'host:1');
      await s.deferInbox([id!], failure('HTTP 503'), new Date(Date.now() - 1));
    });
    expect((await claim(store, 1)).map((e) => e.attempts)).toEqual([2]);
  });

  it('dead-letters with the last error, retries a dead entry with a fresh budget, and keeps drafts and notices', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: { text: 'hi' } });
    await store.withSessionLock('chat', async (s) => {
      const [entry] = await s.claimInbox(1, 'host:1');
      expect(entry.draft).toBeUndefined();
      await s.saveDraft(entry.id, { reply: 'hello', messages: [] });
      await s.recordNotice(entry.id, 'The model is slow; your answer will follow.');
    });
    const [again] = await claim(store, 1);
    expect(again.draft).toEqual({ reply: 'hello', messages: [] });
    await store.withSessionLock('chat', async (s) => {
      await s.recordNotice(id!, 'Sorry, I gave up.');
      await s.completeInbox([id!], 'dead', { stage: 'delivering', errorClass: 'permanent', error: 'Forbidden: bot was blocked by the user' });
    });
    expect(await store.pendingInboxSessions()).toEqual([]);
    const dead = await store.inboxTimeline(id!);
    expect(dead?.entry).toMatchObject({ status: 'dead', attempts: 2, lastError: 'Forbidden: bot was blocked by the user' });
    expect(dead?.notices.map((n) => n.text)).toEqual(['The model is slow; your answer will follow.', 'Sorry, I gave up.']);
    expect(dead?.attempts.at(-1)).toMatchObject({ stage: 'delivering', errorClass: 'permanent' });
    expect((await store.listInbox({ status: 'dead' })).map((r) => r.id)).toEqual([id]);

    expect(await store.retryInbox(id!)).toBe(true);
    expect(await store.retryInbox(id!)).toBe(false);
    expect(await store.pendingInboxSessions()).toEqual(['chat']);
    const [retried] = await claim(store, 1);
    expect(retried).toMatchObject({ id, attempts: 1 });
    expect(retried.draft).toBeUndefined();
  });

  it('counts redeliveries, records refused events finished, and links an answered entry to its turn', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} });
    expect(await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} })).toEqual({ id: null, duplicate: true });
    expect(await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} })).toEqual({ id: null, duplicate: true });
    const refused = await store.enqueueInbox({ sessionId: 'refused', eventKey: 'r', payload: {}, refused: 'no chat in the update' });
    expect(refused.duplicate).toBe(false);
    expect(await store.enqueueInbox({ sessionId: 'refused', eventKey: 'r', payload: {}, refused: 'no chat in the update' })).toMatchObject({ duplicate: true });
    expect(await store.pendingInboxSessions()).toEqual(['chat']);
    expect((await store.inboxTimeline('r'))?.entry).toMatchObject({ status: 'refused', lastError: 'no chat in the update', redeliveries: 1 });

    await store.withSessionLock('chat', async (s) => {
      await s.claimInbox(1, 'host:1');
      await s.appendTurn([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], { completeInbox: [id!] });
    });
    const answered = await store.inboxTimeline(id!);
    expect(answered?.entry).toMatchObject({ status: 'done', redeliveries: 2, answeredBy: { sessionId: 'chat', turn: 1 } });
    expect(answered?.attempts).toEqual([expect.objectContaining({ attempt: 1, stage: 'committed', endedAt: answered!.entry.doneAt })]);
  });

  it('refuses ledger writes from a holder that lost the lock', async () => {
    const store = await fresh();
    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'a', payload: {} });
    let stale: LockedSession | undefined;
    await store.withSessionLock('chat', async (s) => {
      stale = s;
    });
    await expect(stale!.deferInbox([id!], failure('x'), new Date())).rejects.toBeInstanceOf(LockLostError);
    await expect(stale!.saveDraft(id!, {})).rejects.toBeInstanceOf(LockLostError);
    await expect(stale!.recordNotice(id!, 'x')).rejects.toBeInstanceOf(LockLostError);
  });
});
