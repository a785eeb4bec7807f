import { openStore } from '../store/open-store.js';
import type { HistoryStore } from '../store/types.js';

/** Opens the store, runs `use`, and always closes it (an open Postgres pool would keep the process alive). */
export async function withStore<T>(db: string, use: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(db, { poolSize: 2 });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
