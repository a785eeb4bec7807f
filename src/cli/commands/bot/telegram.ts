import { Option, type Command } from 'commander';
import type { TelegramAdapter } from '../../../../adapters/telegram/telegram-adapter.js';
import { CliError } from '../../cli-error.js';
import { addExamples } from '../../help-text.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot, type BotContext } from './run-bot.js';

interface TelegramCliOptions extends RunnerCliOptions {
  token?: string;
  apiRoot?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  port: number;
}

/** What a Telegram bot is configured with, from flags (`bot telegram`) or a config file (`bot run --config`). */
export interface TelegramSettings {
  token: string;
  apiRoot?: string;
  /** Without it the bot long-polls (one worker polls, the others stand by). */
  webhook?: { url: string; secret: string; port: number };
}

/** The Telegram adapter for `settings`, identified, so a wrong token fails before the runner starts. */
export async function makeTelegramAdapter(settings: TelegramSettings, { store, logger }: BotContext): Promise<TelegramAdapter> {
  // Loaded only when this platform runs: the CLI starts without every SDK.
  const { TelegramAdapter } = await import('../../../../adapters/telegram/telegram-adapter.js');
  const { webhook } = settings;
  const adapter = new TelegramAdapter({
    token: settings.token,
    apiRoot: settings.apiRoot,
    logger,
    receive: webhook ? { kind: 'webhook', url: webhook.url, secret: webhook.secret, port: webhook.port } : { kind: 'polling', leases: store },
  });
  const me = await adapter.identify();
  logger.info({ bot: me.username }, 'Telegram bot identified');
  return adapter;
}

export function registerTelegramBot(bot: Command): void {
  const command = bot
    .command('telegram')
    .description('run a Telegram bot: long polling (one worker polls, others stand by) or a webhook (any number of workers)')
    .addOption(new Option('--token <token>', 'bot token from @BotFather (default: $TELEGRAM_BOT_TOKEN)'))
    .addOption(new Option('--api-root <url>', 'Bot API base URL (default: $TELEGRAM_API_ROOT, else Telegram\'s)'))
    .addOption(new Option('--webhook-url <url>', 'public HTTPS URL Telegram posts updates to; without it the bot long-polls'))
    .addOption(new Option('--webhook-secret <secret>', 'secret token Telegram sends with each update (default: $TELEGRAM_WEBHOOK_SECRET)'))
    .addOption(new Option('--port <port>', 'port of the webhook server').argParser(Number).default(8080));
  addExamples(command, [
    'TELEGRAM_BOT_TOKEN=123:abc threadline bot telegram --db postgres://app@db/threadline --allow 42',
    'threadline bot telegram --webhook-url https://bot.example.com/telegram --webhook-secret s3cret',
  ]);
  addRunnerOptions(command).action(async (options: TelegramCliOptions) => {
    const token = options.token ?? process.env.TELEGRAM_BOT_TOKEN;
    if (!token) throw new CliError('no Telegram bot token: pass --token or set TELEGRAM_BOT_TOKEN (get one from @BotFather)', 2);
    const secret = options.webhookSecret ?? process.env.TELEGRAM_WEBHOOK_SECRET;
    if (options.webhookUrl && !secret) {
      throw new CliError('webhook mode needs a secret: pass --webhook-secret or set TELEGRAM_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)', 2);
    }
    const settings: TelegramSettings = {
      token,
      apiRoot: options.apiRoot ?? process.env.TELEGRAM_API_ROOT,
      webhook: options.webhookUrl && secret ? { url: options.webhookUrl, secret, port: options.port } : undefined,
    };
    await runBot(options, (context) => makeTelegramAdapter(settings, context));
  });
}
