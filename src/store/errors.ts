/** Errors a store user may want to tell apart. Every message is one line that says what to do. */

import { ThreadlineError } from '../errors.js';

// The store's errors build on the package's; re-exported so that one module names every error a store call throws.
export { isStoreUnreachable, ThreadlineError } from '../errors.js';

/** The db string is not a form Threadline knows, or a session id is unusable. */
export class InvalidInputError extends ThreadlineError {}

/** The database could not be reached or opened. */
export class StoreUnavailableError extends ThreadlineError {}

/**
 * There is no Threadline store at the location (no SQLite file, no Postgres schema), or one older than this
 * Threadline: opened without migrating, nothing was created or changed. `schemaVersion` is 0 for "no store".
 */
export class StoreNotReadyError extends StoreUnavailableError {
  constructor(readonly location: string, readonly schemaVersion: number, readonly latest: number) {
    super(
      schemaVersion === 0
        ? `no Threadline store at ${location}`
        : `the store at ${location} has schema version ${schemaVersion}, this Threadline needs ${latest}`,
    );
  }
}

/** Another process held the session's lock for longer than the caller wanted to wait. */
export class SessionBusyError extends ThreadlineError {
  constructor(readonly sessionId: string, readonly waitedMs: number) {
    super(`session ${JSON.stringify(sessionId)} is busy: another turn held its lock for over ${waitedMs} ms (raise waitMs, or retry later)`);
  }
}

/**
 * A commit was attempted by a holder that no longer owns the session's lock; nothing was written. When the lock
 * went with its database connection, `cause` is the connection's error, so `isStoreUnreachable` recognises it.
 */
export class LockLostError extends ThreadlineError {
  constructor(readonly sessionId: string, options?: { cause?: unknown }) {
    super(
      options?.cause
        ? `lost the lock of session ${JSON.stringify(sessionId)}: its database connection dropped, nothing more is written under it`
        : `lost the lock of session ${JSON.stringify(sessionId)} before committing: the turn was not written (another worker took over)`,
      options,
    );
  }
}

/** `createApiKey` with a name some key (revoked or not) already has: names identify keys in logs and revocations. */
export class ApiKeyNameTakenError extends InvalidInputError {
  constructor(readonly keyName: string) {
    super(`an API key named "${keyName}" exists already: choose another name (threadline keys list shows them)`);
  }
}
