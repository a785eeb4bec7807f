/** Errors a store user may want to tell apart. Every message is one line that says what to do. */

export class ThreadlineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

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

/** SQLSTATEs and socket codes that mean "the database is away for now": wait and try again. */
const UNREACHABLE_CODES = new Set([
  '57P01', // admin shutdown (fast shutdown, restart, pg_terminate_backend)
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up, recovering)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300', // too many connections
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/** Driver messages for a connection that ended without a code (node-postgres). */
const UNREACHABLE_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

/**
 * True when `error` says the store cannot be reached right now (the database restarting, a dropped connection,
 * a busy SQLite file): the operation may succeed later, nothing about the request itself is wrong. Looks through
 * `cause` (a StoreUnavailableError wraps the driver's error).
 */
export function isStoreUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)) return true;
    current = cause;
  }
  return false;
}

/** `createApiKey` with a name some key (revoked or not) already has: names identify keys in logs and revocations. */
export class ApiKeyNameTakenError extends InvalidInputError {
  constructor(readonly keyName: string) {
    super(`an API key named "${keyName}" exists already: choose another name (threadline keys list shows them)`);
  }
}
