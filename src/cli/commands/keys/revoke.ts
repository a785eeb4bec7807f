import type { Command } from 'commander';
import { CliError } from '../../cli-error.js';
import { addDbOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { addExamples } from '../../help-text.js';
import { printLine } from '../../output.js';
import { withStore } from '../../with-store.js';

export function registerRevoke(group: Command): void {
  const command = group.command('revoke <name>').description('revoke an API key: every serve process refuses it from its next request');
  addDbOption(command);
  addExamples(command, ['threadline keys revoke web']);
  command.action(async (name: string, options: DbOptions) => {
    const revoked = await withStore(resolveDbUrl(options), (store) => store.revokeApiKey(name));
    if (!revoked) throw new CliError(`no live API key named "${name}" (threadline keys list shows them)`, 2);
    printLine(`API key "${name}" revoked`);
  });
}
