#!/usr/bin/env node
import { Command } from 'commander';
import { registerPersistenceCommands } from './commands/persistence.js';
import { runCli } from './run-cli.js';

const program = new Command('threadline')
  .description('Durable LLM chat bots: conversations that survive restarts, shared safely by many worker processes')
  .showHelpAfterError('(add --help for usage)');

registerPersistenceCommands(program);

// ---- bot commands -------------------------------------------------------------------------------------
// Reserved for the `bot` group (src/cli/commands/bot.ts, built separately):
//   import { registerBotCommands } from './commands/bot.js';
//   registerBotCommands(program);
// --------------------------------------------------------------------------------------------------------

await runCli(program);
