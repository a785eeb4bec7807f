import { discordPlatform } from './discord/platform.js';
import type { AnyPlatformDeclaration } from './shared/platform-declaration.js';
import { slackPlatform } from './slack/platform.js';
import { telegramPlatform } from './telegram/platform.js';
import { whatsappPlatform } from './whatsapp/platform.js';

/**
 * Every platform Threadline runs, in the order the CLI and the config file list them. A new platform is a folder
 * with its platform.ts, and a line here.
 */
export const PLATFORMS: readonly AnyPlatformDeclaration[] = [telegramPlatform, slackPlatform, discordPlatform, whatsappPlatform];
