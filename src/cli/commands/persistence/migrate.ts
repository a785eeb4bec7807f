import type { Command } from 'commander';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';

interface MigrateOptions extends DbOptions {
  json?: boolean;
}

export function registerMigrate(group: Command): void {
  const command = group.command('migrate').description('create the store, or bring its schema up to date, and show its version');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence migrate --db ./threadline.db', 'threadline persistence migrate --db "postgres://app@db/threadline?schema=bots"']);
  command.action(async (options: MigrateOptions) => {
    // Opening a store to create it applies any pending migration (each in its own transaction).
    await withStore(resolveDbUrl(options), async (store) => {
      const version = await store.schemaVersion();
      if (options.json) return printJson({ location: store.location, kind: store.kind, schemaVersion: version.current, latest: version.latest });
      printLine(`${store.kind} ${store.location}: schema version ${version.current} (latest ${version.latest})${version.current === version.latest ? ', up to date' : ''}`);
    }, { create: true });
  });
}
