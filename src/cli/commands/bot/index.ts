import type { Command } from 'commander';
import { registerConfigFileBot } from './config-file.js';
import { registerConsoleBot } from './console.js';
import { registerDiscordBot } from './discord.js';
import { registerSlackBot } from './slack.js';
import { registerTelegramBot } from './telegram.js';
import { registerWhatsAppBot } from './whatsapp.js';
import { addExamples } from '../../help-text.js';

/** `threadline bot <platform>`: one file per platform, all on the same runner options. */
export function registerBotCommands(program: Command): void {
  const bot = program.command('bot').description('run a chat bot on a platform, on the shared durable runner');
  addExamples(bot, ['threadline bot console --model echo', 'threadline bot telegram --db postgres://app@db/threadline']);
  registerTelegramBot(bot);
  registerSlackBot(bot);
  registerDiscordBot(bot);
  registerConsoleBot(bot);
  registerWhatsAppBot(bot);
  registerConfigFileBot(bot);
}
