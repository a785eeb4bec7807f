#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { registerBotCommands } from './commands/bot/index.js';
import { registerInboxCommands } from './commands/inbox.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerPersistenceCommands } from './commands/persistence.js';
import { registerServeCommand } from './commands/serve.js';
import { oneLineUsageErrors, runCli } from './run-cli.js';

/** This package's version: its package.json is two folders up from the source, three from dist/. */
function packageVersion(): string {
  for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

const program = oneLineUsageErrors(
  new Command('threadline')
    .version(packageVersion())
    .description('Durable LLM chat bots: conversations that survive restarts, shared safely by many worker processes'),
);

registerPersistenceCommands(program);
registerBotCommands(program);
registerInboxCommands(program);
registerServeCommand(program);
registerKeysCommands(program);

await runCli(program);
