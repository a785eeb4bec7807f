import { CommanderError, type Command } from 'commander';
import { LlmError } from '../core/llm/chat-model.js';
import { TurnAbortedError } from '../core/turn-errors.js';
import { maskSecrets, treatAsSecret } from './secrets.js';
import { PlatformStartError } from '../runner/platform-start-error.js';
import { InvalidInputError, SessionBusyError, StoreUnavailableError } from '../store/errors.js';
import { CliError } from './cli-error.js';

/**
 * Exit codes, the same for every command: 0 ok, 2 bad input (commander's usage errors included), 3 store
 * unavailable, missing or busy, 4 LLM failure, 130 interrupted, 1 only for a bug (an error nobody anticipated).
 */
export function exitCodeFor(error: unknown): number {
  // Commander's --help and --version end with code 0; everything else it reports is a usage error.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof TurnAbortedError) return 130;
  if (error instanceof InvalidInputError) return 2;
  if (error instanceof StoreUnavailableError || error instanceof SessionBusyError) return 3;
  if (error instanceof LlmError) return 4;
  if (error instanceof PlatformStartError) return error.reason === 'unreachable' ? 5 : 2;
  return 1;
}

export const USAGE_HINT = '(add --help for usage)';

/**
 * Runs the program and turns any failure into one line on stderr and its exit code. No stack trace unless
 * THREADLINE_DEBUG=1 or the command ran with `--log-level debug` (or trace).
 */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  let debug = Boolean(process.env.THREADLINE_DEBUG);
  program.hook('preAction', (_program, action) => {
    const options = action.opts<Record<string, unknown>>();
    if (options.logLevel === 'debug' || options.logLevel === 'trace') debug = true;
    // --token, --app-token, --signing-secret, --webhook-secret…: never printed, whatever message would carry them.
    for (const [name, value] of Object.entries(options)) if (/token|secret/i.test(name) && typeof value === 'string') treatAsSecret(value);
  });
  throwInsteadOfExiting(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    // Commander printed its own errors (see oneLineUsageErrors); a clean stop (code 0, e.g. SIGTERM before start) has nothing to report.
    if (error instanceof CommanderError || process.exitCode === 0) return;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`threadline: ${maskSecrets(message.split('\n')[0])}\n`);
    if (debug && error instanceof Error) process.stderr.write(`${maskSecrets(error.stack ?? '')}\n`);
  }
}

/**
 * Commander's usage errors as one line like every other failure: `threadline: unknown option '--limt' (did you
 * mean --limit?) (add --help for usage)`. Call before adding subcommands: they inherit the output configuration.
 */
export function oneLineUsageErrors(program: Command): Command {
  return program.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => {
      const line = text
        .trim()
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean/g, ' (did you mean')
        .replace(/\s*\n\s*/g, ' ');
      write(`threadline: ${line} ${USAGE_HINT}\n`);
    },
  });
}

/** Commander exits the process on a usage error by default; thrown instead, the error ends up in the one handler above. */
function throwInsteadOfExiting(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExiting(sub);
}
