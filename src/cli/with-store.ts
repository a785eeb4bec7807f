import { openExistingStore } from '../store/open-existing-store.js';
import { openStore } from '../store/open-store.js';
import type { HistoryStore } from '../store/types.js';
import { explainStoreError } from './store-errors.js';

export interface WithStoreOptions {
  /**
   * Create the store (SQLite file, Postgres schema) or migrate it when needed. Only for commands whose job is to
   * write it (migrate, import, resume --create); every other command needs a store that is there, and changes none.
   */
  create?: boolean;
}

/**
 * Opens the store, runs `use`, and always closes it (an open Postgres pool would keep the process alive). Store
 * failures, while opening or in `use`, come out as the CLI's one-line explanation (see explainStoreError).
 */
export async function withStore<T>(db: string, use: (store: HistoryStore) => Promise<T>, { create = false }: WithStoreOptions = {}): Promise<T> {
  try {
    const store = create ? await openStore(db, { poolSize: 2 }) : await openExistingStore(db, { poolSize: 2 });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    throw explainStoreError(error, db);
  }
}
