import { parseDbLocation } from './db-location.js';
import { PostgresHistoryStore } from './postgres/postgres-history-store.js';
import { SqliteHistoryStore } from './sqlite/sqlite-history-store.js';
import type { HistoryStore } from './types.js';

export interface OpenStoreOptions {
  /** Postgres only: connections in this process's pool. */
  poolSize?: number;
  /**
   * Apply pending migrations (default). `false` opens the store as it is, e.g. to report its schema version;
   * a SQLite file must then exist already.
   */
  migrate?: boolean;
}

/**
 * Open the store a `db` string names, with its schema migrated: a `postgres://` or `postgresql://` URL
 * (optionally `?schema=name`), or SQLite as `sqlite:///abs/path.db`, `sqlite:relative.db`, a bare path or `:memory:`.
 */
export async function openStore(db: string, options: OpenStoreOptions = {}): Promise<HistoryStore> {
  const location = parseDbLocation(db);
  if (location.kind === 'postgres') {
    return PostgresHistoryStore.open({ ...location, poolSize: options.poolSize, migrate: options.migrate });
  }
  return SqliteHistoryStore.open({ file: location.file, migrate: options.migrate });
}
