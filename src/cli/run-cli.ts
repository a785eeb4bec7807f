import { CommanderError, type Command } from 'commander';
import { LlmError } from '../core/llm/chat-model.js';
import { TurnAbortedError } from '../core/turn-errors.js';
import { InvalidInputError, SessionBusyError, StoreUnavailableError } from '../store/errors.js';
import { CliError } from './cli-error.js';

/**
 * Exit codes, the same for every command: 0 ok, 1 failed (or a usage error commander reported), 2 invalid input,
 * 3 database unavailable or busy, 4 LLM failure, 130 interrupted.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError || error instanceof CliError) return error.exitCode;
  if (error instanceof TurnAbortedError) return 130;
  if (error instanceof InvalidInputError) return 2;
  if (error instanceof StoreUnavailableError || error instanceof SessionBusyError) return 3;
  if (error instanceof LlmError) return 4;
  return 1;
}

/**
 * Runs the program and turns any failure into one line on stderr and a non-zero exit code: no stack traces
 * (set THREADLINE_DEBUG=1 to see them). Commander prints its own usage errors; they only set the code here.
 */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  throwInsteadOfExiting(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    // Commander prints its own errors; a clean stop (code 0, e.g. SIGTERM before start) has nothing to report.
    if (error instanceof CommanderError || process.exitCode === 0) return;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`threadline: ${message.split('\n')[0]}\n`);
    if (process.env.THREADLINE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
}

/** Commander exits the process on a usage error by default; thrown instead, the error ends up in the one handler above. */
function throwInsteadOfExiting(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExiting(sub);
}
