import type { Command } from 'commander';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { formatMessage, printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { requireSession } from './require-session.js';

interface ShowOptions extends DbOptions {
  json?: boolean;
}

export function registerShow(group: Command): void {
  const command = group
    .command('show')
    .description("show a session: its dates, size, metadata and runtime state, then its conversation")
    .argument('<session-id>', 'the session');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence show user-123-main', 'threadline persistence show user-123-main --db postgres://app@db/threadline --json']);
  command.action(async (sessionId: string, options: ShowOptions) => {
    await withStore(resolveDbUrl(options), async (store) => {
      const session = await requireSession(store, sessionId);
      const runtimeState = await store.getRuntimeState(sessionId);
      const messages = await store.fullHistory(sessionId);
      if (options.json) return printJson({ ...session, runtimeState, messages });
      printLine(`session   ${session.id}`);
      printLine(`created   ${session.createdAt.toISOString()}`);
      printLine(`updated   ${session.updatedAt.toISOString()}`);
      printLine(`messages  ${session.messageCount} (version ${session.version})`);
      printLine(`metadata  ${JSON.stringify(session.metadata)}`);
      printLine(`runtimes  ${runtimeState ? Object.keys(runtimeState).join(', ') || 'none' : 'none'}`);
      printLine();
      for (const message of messages) printLine(formatMessage(message));
    });
  });
}
