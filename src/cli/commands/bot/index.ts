import type { Command } from 'commander';
import { PLATFORMS } from '../../../../adapters/platforms.js';
import { registerConfigFileBot } from './config-file.js';
import { registerConsoleBot } from './console.js';
import { registerPlatformCommand } from './platform-command.js';
import { addExamples } from '../../help-text.js';

/** `threadline bot <platform>`: one command per declared platform (adapters/platforms.ts), all on the same runner options. */
export function registerBotCommands(program: Command): void {
  const bot = program.command('bot').description('run a chat bot on a platform, on the shared durable runner');
  addExamples(bot, ['threadline bot console --model echo', 'threadline bot telegram --db postgres://app@db/threadline']);
  for (const platform of PLATFORMS) registerPlatformCommand(bot, platform);
  registerConsoleBot(bot);
  registerConfigFileBot(bot);
}
