import type { Command } from 'commander';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';

interface MigrateOptions extends DbOptions {
  json?: boolean;
}

export function registerMigrate(group: Command): void {
  const command = group.command('migrate').description('bring the database schema up to date and show its version');
  addDbOption(command);
  addJsonOption(command);
  command.action(async (options: MigrateOptions) => {
    // Opening a store applies any pending migration (each in its own transaction).
    await withStore(resolveDbUrl(options), async (store) => {
      const version = await store.schemaVersion();
      if (options.json) return printJson({ location: store.location, kind: store.kind, schemaVersion: version.current, latest: version.latest });
      printLine(`${store.kind} ${store.location}: schema version ${version.current} (latest ${version.latest})${version.current === version.latest ? ', up to date' : ''}`);
    });
  });
}
