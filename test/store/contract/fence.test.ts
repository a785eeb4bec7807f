import { afterEach, describe, expect, it } from 'vitest';
import { LockLostError } from '../../../src/store/errors.js';
import { openStore } from '../../../src/store/open-store.js';
import type { HistoryStore, LockedSession } from '../../../src/store/types.js';
import { BACKENDS } from '../backends.js';

const failure = { stage: 'generating', errorClass: 'transient' as const, error: 'x' };

/**
 * The fence, as every backend must keep it: a write under a lock that was lost is refused with LockLostError and
 * writes nothing at all, whether the handle knows its lock is gone (it refuses without a round trip) or only the
 * database does (the lock was taken away underneath it).
 */
describe.each(BACKENDS)('$name store contract: the fence', ({ freshDb, loseLockUnderneath }) => {
  const open: HistoryStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** A session with one committed turn and two pending entries, one claimed (an attempt counted). */
  const world = async (label: string) => {
    const db = freshDb(label);
    const store = await openStore(db);
    open.push(store);
    await store.appendTurn('chat', [{ role: 'user', content: 'before' }], { runtimeState: { native: { t1: 1 } }, metadata: { platform: 'x' } });
    const first = (await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: { n: 1 }, followed: true })).id!;
    const second = (await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e2', payload: { n: 2 } })).id!;
    await store.withSessionLock('chat', (s) => s.claimInbox(1, 'host:1'));
    return { db, store, first, second };
  };

  /** Everything a fenced write could change, for comparing before and after. */
  const snapshot = async (store: HistoryStore, ids: number[]) => ({
    session: await store.getSession('chat'),
    history: await store.fullHistory('chat'),
    runtimeState: await store.getRuntimeState('chat'),
    timelines: await Promise.all(ids.map((id) => store.inboxTimeline(id))),
    progress: await Promise.all(ids.map((id) => store.turnProgress(id))),
  });

  /** Every fenced write of a held session, each refused on its own. */
  const everyWrite = (s: LockedSession, first: number, second: number): Array<[string, () => Promise<unknown>]> => [
    ['appendTurn', () => s.appendTurn([{ role: 'user', content: 'late' }], { completeInbox: [first], runtimeState: { native: { t2: 2 } }, metadata: { platform: 'y' } })],
    ['updateMetadata', () => s.updateMetadata({ platform: 'y' })],
    ['claimInbox', () => s.claimInbox(10, 'host:2')],
    ['deferInbox', () => s.deferInbox([first], failure, new Date(Date.now() + 60_000))],
    ['completeInbox', () => s.completeInbox([first, second], 'dead', failure)],
    ['recordReplyPart', () => s.recordReplyPart(first, 0, 'm1')],
    ['saveDraft', () => s.saveDraft(first, { reply: 'draft' })],
    ['recordNotice', () => s.recordNotice(first, 'still working')],
    ['recordTurnEvents', () => s.recordTurnEvents(first, [{ kind: 'text', data: 'late' }])],
  ];

  it('a write under a lock taken away underneath is refused by the database and writes nothing at all', async () => {
    const { db, store, first, second } = await world('fence_db');
    const before = await snapshot(store, [first, second]);
    const refused: string[] = [];
    await store.withSessionLock('chat', async (s) => {
      await loseLockUnderneath(db, s);
      for (const [name, write] of everyWrite(s, first, second)) {
        const error = await write().then(() => undefined, (e: unknown) => e);
        if (error instanceof LockLostError) refused.push(name);
      }
    });
    expect(refused).toEqual(everyWrite({} as LockedSession, first, second).map(([name]) => name));
    expect(await snapshot(store, [first, second])).toEqual(before);
  });

  it('a handle whose callback is done refuses every call without writing, reads included', async () => {
    const { store, first, second } = await world('fence_stale');
    const before = await snapshot(store, [first, second]);
    let stale: LockedSession | undefined;
    await store.withSessionLock('chat', async (s) => {
      stale = s;
    });
    // Another holder has the lock now: the stale handle must not pass for it.
    await store.withSessionLock('chat', async () => {
      for (const [, write] of everyWrite(stale!, first, second)) await expect(write()).rejects.toBeInstanceOf(LockLostError);
      await expect(stale!.loadWindow()).rejects.toBeInstanceOf(LockLostError);
      await expect(stale!.pendingInbox()).rejects.toBeInstanceOf(LockLostError);
      await expect(stale!.getRuntimeState()).rejects.toBeInstanceOf(LockLostError);
      expect(() => stale!.assertHeld?.()).toThrow(LockLostError);
    });
    expect(await snapshot(store, [first, second])).toEqual(before);
  });

  it('reads under a lock taken away underneath still read: only writes are fenced', async () => {
    const { db, store } = await world('fence_reads');
    await store.withSessionLock('chat', async (s) => {
      await loseLockUnderneath(db, s);
      expect((await s.loadWindow()).map((m) => m.content)).toEqual(['before']);
      expect((await s.pendingInbox()).map((e) => e.eventKey)).toEqual(['e1', 'e2']);
      expect(await s.getRuntimeState()).toEqual({ native: { t1: 1 } });
    });
  });
});
