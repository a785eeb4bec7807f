import type { Command } from 'commander';
import { CliError } from '../../cli-error.js';
import { addDbOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { requireEntry } from './entry-text.js';

export function registerRetry(group: Command): void {
  const command = group
    .command('retry <entry>')
    .description('put a dead entry (inbox id, event key or platform event id) back to pending, with a fresh budget of attempts');
  addDbOption(command);
  addExamples(command, ['threadline inbox retry 17', 'threadline inbox retry 17 --db postgres://app@db/threadline']);
  command.action(async (ref: string, options: DbOptions) => {
    await withStore(resolveDbUrl(options), async (store) => {
      const timeline = await requireEntry(store, ref);
      const { entry } = timeline;
      if (!(await store.retryInbox(entry.id))) throw new CliError(`inbox entry ${entry.id} is ${entry.status}, not dead: only dead entries can be retried`, 2);
      printLine(`inbox entry ${entry.id} is pending again; a worker on ${entry.queue || 'any queue'} will answer it`);
    });
  });
}
