import type { Command } from 'commander';

const EXIT_CODES = 'Exit codes: 0 ok, 2 bad input, 3 store unavailable, missing or busy, 4 LLM failure, 5 platform unreachable, 1 a bug (please report it).';

/** The end of every command's --help: a few examples, then the exit codes, which are the same everywhere. */
export function addExamples(command: Command, examples: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n\n${EXIT_CODES}`);
}
