import { parseDbLocation } from './db-location.js';
import { PostgresHistoryStore } from './postgres/postgres-history-store.js';
import { SqliteHistoryStore } from './sqlite/sqlite-history-store.js';
import type { HistoryStore } from './types.js';

export interface OpenStoreOptions {
  /** Postgres only: connections in this process's pool. */
  poolSize?: number;
}

/**
 * Open the store a `db` string names, with its schema migrated: a `postgres://` or `postgresql://` URL
 * (optionally `?schema=name`), or SQLite as `sqlite:///abs/path.db`, `sqlite:relative.db`, a bare path or `:memory:`.
 */
export async function openStore(db: string, options: OpenStoreOptions = {}): Promise<HistoryStore> {
  const location = parseDbLocation(db);
  if (location.kind === 'postgres') {
    return PostgresHistoryStore.open({ ...location, poolSize: options.poolSize });
  }
  return SqliteHistoryStore.open({ file: location.file });
}
