import { InvalidInputError } from './errors.js';

/** Long enough for any platform-derived id; short enough to index cheaply. */
export const MAX_SESSION_ID_LENGTH = 512;

/** Refuse ids that cannot round-trip through every store and CLI, before anything is written. */
export function assertValidSessionId(sessionId: unknown): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw new InvalidInputError('session id is empty: pass a non-empty string such as "user-42-main"');
  }
  if (sessionId.length > MAX_SESSION_ID_LENGTH) {
    throw new InvalidInputError(`session id is ${sessionId.length} characters long: the limit is ${MAX_SESSION_ID_LENGTH}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(sessionId)) {
    throw new InvalidInputError('session id contains control characters: use printable characters only');
  }
}
