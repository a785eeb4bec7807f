import { afterEach, describe, expect, it } from 'vitest';
import { LockLostError, SessionBusyError } from '../../../src/store/errors.js';
import { openStore } from '../../../src/store/open-store.js';
import type { HistoryStore, LockedSession } from '../../../src/store/types.js';
import { BACKENDS } from '../backends.js';

describe.each(BACKENDS)('$name: the window with the lock, the lock with the commit', ({ freshDb }) => {
  const open: HistoryStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const twoStores = async () => {
    const db = freshDb('lockload');
    const a = await openStore(db);
    const b = await openStore(db);
    open.push(a, b);
    return [a, b];
  };

  it('preload gives what loadWindow gives, including the turn another process committed just before', async () => {
    const [a, b] = await twoStores();
    for (let i = 0; i < 4; i++) await a.appendTurn('s', [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }]);
    // Another store commits, then this one locks: the preloaded window must include that commit.
    await b.appendTurn('s', [{ role: 'user', content: 'q4' }, { role: 'assistant', content: 'a4' }]);
    const [preloaded, loaded] = await a.withSessionLock('s', async (session) => [await session.loadWindow({ maxMessages: 4 }), await session.loadWindow({ maxMessages: 4 })], {
      preload: { maxMessages: 4 },
    });
    expect(preloaded.map((m) => m.content)).toEqual(['q3', 'a3', 'q4', 'a4']);
    expect(preloaded).toEqual(loaded);
    // An empty session preloads an empty window.
    expect(await a.withSessionLock('empty', (s) => s.loadWindow({ maxMessages: 4 }), { preload: { maxMessages: 4 } })).toEqual([]);
  });

  it('a commit with releaseLock frees the session at once for another holder, and the handle is done', async () => {
    const [a, b] = await twoStores();
    let handle: LockedSession | undefined;
    let takenAfter: boolean | undefined;
    await a.withSessionLock('s', async (session) => {
      handle = session;
      await expect(b.withSessionLock('s', async () => {}, { waitMs: 0 })).rejects.toBeInstanceOf(SessionBusyError);
      expect(await session.appendTurn([{ role: 'user', content: 'hi' }], { releaseLock: true })).toEqual({ firstSeq: 1, lastSeq: 1, version: 1 });
      // Still inside the holder's callback, yet the lock is another's to take, with the commit visible to it.
      takenAfter = await b.withSessionLock('s', async (s) => (await s.loadWindow()).length === 1, { waitMs: 0 });
    });
    expect(takenAfter).toBe(true);
    await expect(handle!.appendTurn([{ role: 'user', content: 'late' }])).rejects.toBeInstanceOf(LockLostError);
    expect((await a.fullHistory('s')).map((m) => m.content)).toEqual(['hi']);
  });
});
