import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { CliError } from '../../cli-error.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { requireSession } from './require-session.js';

interface DeleteOptions extends DbOptions {
  yes?: boolean;
  json?: boolean;
}

export function registerDelete(group: Command): void {
  const command = group
    .command('delete')
    .description('delete a session and all its messages (asks first unless --yes)')
    .argument('<session-id>', 'the session')
    .option('-y, --yes', 'do not ask for confirmation');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence delete user-123-main', 'threadline persistence delete user-123-main --yes --db postgres://app@db/threadline']);
  command.action(async (sessionId: string, options: DeleteOptions) => {
    await withStore(resolveDbUrl(options), async (store) => {
      const session = await requireSession(store, sessionId);
      if (!options.yes && !(await confirm(`Delete session ${JSON.stringify(sessionId)} and its ${session.messageCount} messages? [y/N] `))) {
        // Answering no is a choice, not a failure: exit 0.
        process.stderr.write('not deleted\n');
        return;
      }
      await store.deleteSession(sessionId);
      if (options.json) return printJson({ deleted: sessionId, messages: session.messageCount });
      printLine(`deleted session ${sessionId} (${session.messageCount} messages)`);
    });
  });
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError('refusing to delete without confirmation: pass --yes (stdin is not a terminal, so nobody can be asked)', 2);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
