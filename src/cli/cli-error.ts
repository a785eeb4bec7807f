import { ThreadlineError } from '../store/errors.js';

/**
 * A failure the CLI reports as one line with a chosen exit code: by default 2, bad input (e.g. a session that
 * does not exist), since a failure someone thought of is never a bug.
 */
export class CliError extends ThreadlineError {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}
