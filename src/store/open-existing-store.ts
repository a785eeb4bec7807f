import { StoreNotReadyError } from './errors.js';
import { openStore, type OpenStoreOptions } from './open-store.js';
import type { HistoryStore } from './types.js';

/**
 * Open a store that is already there and up to date, creating and changing nothing: no SQLite file, directory,
 * Postgres schema or migration. Fails with StoreNotReadyError when there is no store (a SQLite file that does not
 * exist, a Postgres schema without Threadline's tables) or its schema is older than this Threadline.
 */
export async function openExistingStore(db: string, options: Omit<OpenStoreOptions, 'migrate'> = {}): Promise<HistoryStore> {
  const store = await openStore(db, { ...options, migrate: false });
  try {
    const { current, latest } = await store.schemaVersion();
    if (current < latest) throw new StoreNotReadyError(store.location, current, latest);
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
