import { ThreadlineError } from '../store/errors.js';

/** A failure the CLI reports as one line with a chosen exit code (e.g. a session that does not exist). */
export class CliError extends ThreadlineError {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
