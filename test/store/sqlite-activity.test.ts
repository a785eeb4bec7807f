import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { sqliteTestFile } from '../support/databases.js';
import { storesClosedAfterEach } from './backends.js';

/**
 * SQLite's activity listeners (its stand-in for NOTIFY) belong to the database file, not to the module: every store
 * on one file in this process hears the others, however the path is spelled; stores on other databases, in-memory
 * ones included, hear nothing of it; a closed store hears nothing more. SQLite tells its listeners before the write
 * returns, so "heard nothing" is known once the write has returned.
 */
describe('sqlite activity listeners', () => {
  const fresh = storesClosedAfterEach();

  it('stores on one file hear each other, also under another spelling of its path; stores on another file do not', async () => {
    const file = sqliteTestFile('activity');
    const writer = await fresh(file);
    const sameFile = await fresh(path.join(path.dirname(file), '.', '..', path.basename(path.dirname(file)), path.basename(file)));
    const otherFile = await fresh(sqliteTestFile('activity_other'));
    const heard: Record<string, string[]> = { sameFile: [], otherFile: [] };
    await sameFile.onInboxActivity((id) => heard.sameFile.push(id));
    await otherFile.onInboxActivity((id) => heard.otherFile.push(id));
    const turns: number[] = [];
    await sameFile.onTurnActivity((id) => turns.push(id));

    const { id } = await writer.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: {}, followed: true });
    await writer.withSessionLock('chat', (s) => s.recordTurnEvents(id!, [{ kind: 'text', data: 'hi' }]));
    expect(heard).toEqual({ sameFile: ['chat'], otherFile: [] });
    expect(turns).toEqual([id]);
  });

  it('in-memory stores are separate databases: they hear nothing of each other', async () => {
    const a = await fresh(':memory:');
    const b = await fresh(':memory:');
    const heard = { a: [] as string[], b: [] as string[] };
    await a.onInboxActivity((id) => heard.a.push(id));
    await b.onInboxActivity((id) => heard.b.push(id));
    await a.enqueueInbox({ sessionId: 'in-a', eventKey: 'e1', payload: {} });
    expect(heard).toEqual({ a: ['in-a'], b: [] });
  });

  it('a closed store hears nothing more, and a listener stopped early nothing after', async () => {
    const file = sqliteTestFile('activity_close');
    const writer = await fresh(file);
    const closing = await openStore(file);
    const heard = { closed: [] as string[], stopped: [] as string[], live: [] as string[] };
    await closing.onInboxActivity((id) => heard.closed.push(id));
    const stop = await writer.onInboxActivity((id) => heard.stopped.push(id));
    await writer.onInboxActivity((id) => heard.live.push(id));
    await writer.enqueueInbox({ sessionId: 'first', eventKey: 'e1', payload: {} });
    await closing.close();
    await stop();
    await writer.enqueueInbox({ sessionId: 'second', eventKey: 'e2', payload: {} });
    expect(heard).toEqual({ closed: ['first'], stopped: ['first'], live: ['first', 'second'] });
  });
});
