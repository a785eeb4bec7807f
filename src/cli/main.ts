#!/usr/bin/env node
import { Command } from 'commander';
import { registerBotCommands } from './commands/bot/index.js';
import { registerPersistenceCommands } from './commands/persistence.js';
import { runCli } from './run-cli.js';

const program = new Command('threadline')
  .description('Durable LLM chat bots: conversations that survive restarts, shared safely by many worker processes')
  .showHelpAfterError('(add --help for usage)');

registerPersistenceCommands(program);
registerBotCommands(program);

await runCli(program);
