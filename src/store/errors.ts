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

/** Another process held the session's lock for longer than the caller wanted to wait. */
export class SessionBusyError extends ThreadlineError {
  constructor(readonly sessionId: string, readonly waitedMs: number) {
    super(`session ${JSON.stringify(sessionId)} is busy: another turn held its lock for over ${waitedMs} ms (raise waitMs, or retry later)`);
  }
}

/** A commit was attempted by a holder that no longer owns the session's lock; nothing was written. */
export class LockLostError extends ThreadlineError {
  constructor(readonly sessionId: string) {
    super(`lost the lock of session ${JSON.stringify(sessionId)} before committing: the turn was not written (another worker took over)`);
  }
}
