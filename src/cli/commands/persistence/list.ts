import { InvalidArgumentError, type Command } from 'commander';
import type { SessionInfo } from '../../../store/types.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';

interface ListOptions extends DbOptions {
  prefix?: string;
  since?: Date;
  limit: number;
  json?: boolean;
}

const MAX_PAGE = 1000;

export function registerList(group: Command): void {
  const command = group
    .command('list')
    .description('list sessions, most recently updated first')
    .option('--prefix <text>', 'only sessions whose id starts with this')
    .option('--since <date>', 'only sessions updated at or after this date/time (ISO 8601)', parseDate)
    .option('--limit <n>', 'at most this many sessions', parsePositiveInt, 50);
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence list --db ./threadline.db --limit 20', 'threadline persistence list --prefix telegram: --since 2026-01-01 --json']);
  command.action(async (options: ListOptions) => {
    await withStore(resolveDbUrl(options), async (store) => {
      const sessions: SessionInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listSessions({
          prefix: options.prefix,
          updatedSince: options.since,
          limit: Math.min(options.limit - sessions.length, MAX_PAGE),
          cursor,
        });
        sessions.push(...page.sessions);
        cursor = page.nextCursor;
      } while (cursor && sessions.length < options.limit);
      if (options.json) return printJson(sessions);
      if (sessions.length === 0) return printLine('no sessions');
      for (const s of sessions) {
        const who = [s.metadata.agentName, s.metadata.userId && `user ${s.metadata.userId}`, s.metadata.platform].filter(Boolean).join(', ');
        printLine(`${s.id}  ${s.updatedAt.toISOString()}  ${s.messageCount} messages${who ? `  (${who})` : ''}`);
      }
    });
  });
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date such as 2025-01-31 or 2025-01-31T12:00:00Z');
  return date;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}
