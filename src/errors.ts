/**
 * The package's own errors, for every part of it and for its users: the base class every Threadline error extends,
 * and how to tell "the store is away for now" from a real failure. Adapters and the runner import them from here;
 * the store's errors (src/store/errors.ts) build on them.
 */

/** Every error Threadline throws on purpose: its message is one line that says what to do. */
export class ThreadlineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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
