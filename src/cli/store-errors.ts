import { parseDbLocation, redactUrl } from '../store/db-location.js';
import { StoreNotReadyError, StoreUnavailableError, ThreadlineError, isStoreUnreachable } from '../store/errors.js';

/**
 * The one place where store failures become what the CLI says: one line that names the store (its password
 * redacted) and what to do, as a StoreUnavailableError (exit 3). Errors that are not the store's pass unchanged.
 */
export function explainStoreError(error: unknown, db: string): unknown {
  if (error instanceof StoreNotReadyError) {
    const verb = error.schemaVersion === 0 ? 'create one' : 'bring it up to date';
    return new StoreUnavailableError(`${error.message}: ${verb} with "threadline persistence migrate --db ${shownDb(db)}"`, { cause: error });
  }
  if (error instanceof ThreadlineError) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const where = () => parseDbLocation(db).redacted;
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
    return new StoreUnavailableError(
      `cannot write to SQLite store ${where()}: it is read-only; check the permissions of the file and of its directory (SQLite writes its journal next to it)`,
      { cause: error },
    );
  }
  if (isStoreUnreachable(error)) {
    return new StoreUnavailableError(`lost store ${where()}: ${String(message)}; check that the database is up and reachable, then try again`, { cause: error });
  }
  return error;
}

/** The db string as a user would pass it again: the SQLite file by its absolute path, a URL without its password. */
function shownDb(db: string): string {
  const location = parseDbLocation(db);
  return location.kind === 'sqlite' ? location.file : redactUrl(db);
}
