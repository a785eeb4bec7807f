import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterEach } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore, LockedSession } from '../../src/store/types.js';
import { pgTestUrl, sqliteTestFile } from '../support/databases.js';

/**
 * The backends every store contract test (test/store/contract/) runs on: a fresh Postgres schema, or a fresh SQLite
 * file, and how to take a session's lock away from under a live handle, so that only the database's fence can
 * refuse the handle's next write (the handle itself still believes it holds the lock).
 */
export const BACKENDS = [
  {
    name: 'postgres',
    freshDb: (label: string) => pgTestUrl(label),
    // The lock is the holder connection's advisory lock: only that connection can drop it. The handle keeps the
    // backend's held lock as `held`, which keeps its watched connection as `held`.
    loseLockUnderneath: async (_db: string, session: LockedSession) => {
      await (session as unknown as { held: { held: { client: pg.PoolClient } } }).held.held.client.query('SELECT pg_advisory_unlock_all()');
    },
  },
  {
    name: 'sqlite',
    freshDb: (label: string) => sqliteTestFile(label),
    loseLockUnderneath: async (db: string, session: LockedSession) => {
      const raw = new Database(db);
      try {
        raw.prepare('DELETE FROM session_locks WHERE session_id = ?').run(session.sessionId);
      } finally {
        raw.close();
      }
    },
  },
] as const;

/**
 * Stores a test opens, each closed after the test (inside a `describe`, it registers that `afterEach`): the one
 * `open(db)` every store suite uses instead of its own list and hook.
 */
export function storesClosedAfterEach(): (db: string) => Promise<HistoryStore> {
  const opened: HistoryStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  return async (db) => {
    const store = await openStore(db);
    opened.push(store);
    return store;
  };
}
