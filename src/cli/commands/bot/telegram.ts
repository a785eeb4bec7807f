import { Option, type Command } from 'commander';
import { CliError } from '../../cli-error.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot } from './run-bot.js';

interface TelegramCliOptions extends RunnerCliOptions {
  token?: string;
  apiRoot?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  port: number;
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
  addRunnerOptions(command).action(async (options: TelegramCliOptions) => {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { TelegramAdapter } = await import('../../../../adapters/telegram/telegram-adapter.js');
    const token = options.token ?? process.env.TELEGRAM_BOT_TOKEN;
    if (!token) throw new CliError('no Telegram bot token: pass --token or set TELEGRAM_BOT_TOKEN (get one from @BotFather)', 2);
    const secret = options.webhookSecret ?? process.env.TELEGRAM_WEBHOOK_SECRET;
    if (options.webhookUrl && !secret) {
      throw new CliError('webhook mode needs a secret: pass --webhook-secret or set TELEGRAM_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)', 2);
    }
    await runBot(options, async ({ store, logger }) => {
      const adapter = new TelegramAdapter({
        token,
        apiRoot: options.apiRoot ?? process.env.TELEGRAM_API_ROOT,
        logger,
        receive: options.webhookUrl
          ? { kind: 'webhook', url: options.webhookUrl, port: options.port, secret: secret! }
          : { kind: 'polling', leases: store },
      });
      const me = await adapter.identify();
      logger.info({ bot: me.username }, 'Telegram bot identified');
      return adapter;
    });
  });
}
