import type { Command } from 'commander';
import { apiKey } from '../../../serve/api-shapes.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { addExamples } from '../../help-text.js';
import { plural, printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';

export function registerList(group: Command): void {
  const command = group.command('list').description('list API keys (names and scopes; keys themselves are never stored)');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline keys list', 'threadline keys list --json']);
  command.action(async (options: DbOptions & { json?: boolean }) => {
    const keys = await withStore(resolveDbUrl(options), (store) => store.listApiKeys());
    if (options.json) return printJson({ keys: keys.map(apiKey) });
    if (keys.length === 0) return printLine('no API keys (threadline keys create --name NAME makes one)');
    for (const k of keys) {
      const scope = k.sessionsPrefix === undefined ? 'all sessions, operator' : `sessions "${k.sessionsPrefix}…"`;
      printLine(`${k.name}  ${scope}  created ${k.createdAt.toISOString()}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`);
    }
    printLine(plural(keys.length, 'key'));
  });
}
