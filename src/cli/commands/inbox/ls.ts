import { InvalidArgumentError, Option, type Command } from 'commander';
import type { InboxStatus } from '../../../store/types.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { entryText } from './entry-text.js';

interface LsOptions extends DbOptions {
  pending?: boolean;
  dead?: boolean;
  refused?: boolean;
  session?: string;
  limit: number;
  json?: boolean;
}

export function registerLs(group: Command): void {
  const command = group
    .command('ls')
    .description('list inbox entries, newest first: status, attempts, session, last error')
    .addOption(new Option('--pending', 'only entries waiting for (or in) a turn').conflicts(['dead', 'refused']))
    .addOption(new Option('--dead', 'only entries given up on (dead letters)').conflicts(['refused']))
    .option('--refused', 'only entries refused on arrival')
    .option('--session <id>', 'only entries of this session')
    .option('--limit <n>', 'at most this many entries', parseLimit, 50);
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline inbox ls --dead', 'threadline inbox ls --pending --session telegram:7000000001:42 --json']);
  command.action(async (options: LsOptions) => {
    const status: InboxStatus | undefined = options.pending ? 'pending' : options.dead ? 'dead' : options.refused ? 'refused' : undefined;
    await withStore(resolveDbUrl(options), async (store) => {
      const entries = await store.listInbox({ status, sessionId: options.session, limit: options.limit });
      if (options.json) return printJson(entries);
      if (entries.length === 0) return printLine('no inbox entries');
      for (const e of entries) {
        const wait = e.nextAttemptAt && e.status === 'pending' ? `, next attempt ${e.nextAttemptAt.toISOString()}` : '';
        const error = e.lastError ? `  last error: ${e.lastError}` : '';
        printLine(`${e.id}  ${e.status}  ${e.receivedAt.toISOString()}  ${e.sessionId}  attempts ${e.attempts}${wait}  "${entryText(e)}"${error}`);
      }
    });
  });
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return n;
}
