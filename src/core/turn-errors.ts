import { ThreadlineError } from '../store/errors.js';

/**
 * The turn was stopped by its caller's AbortSignal. The input was stored, marked `interrupted`, and nothing else.
 * Named `AbortError` like the platform's own abort errors, so `error.name === 'AbortError'` checks work too.
 */
export class TurnAbortedError extends ThreadlineError {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';

  constructor(readonly sessionId: string) {
    super(`the turn on session ${JSON.stringify(sessionId)} was aborted: the input was kept (marked interrupted), no reply was stored`);
  }
}
