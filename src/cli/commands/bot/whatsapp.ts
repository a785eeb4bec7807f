import { Option, type Command } from 'commander';
import { DEFAULT_GRAPH_API_URL } from '../../../../adapters/whatsapp/graph-client.js';
import type { WhatsAppAdapter, WhatsAppAdapterOptions } from '../../../../adapters/whatsapp/whatsapp-adapter.js';
import { CliError } from '../../cli-error.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot, type BotContext } from './run-bot.js';
import { addExamples } from '../../help-text.js';

interface WhatsAppCliOptions extends RunnerCliOptions {
  phoneNumberId?: string;
  apiUrl?: string;
  port: number;
  host: string;
}

/** What a WhatsApp bot is configured with, from flags and env (`bot whatsapp`) or a config file (`bot run --config`). */
export type WhatsAppSettings = Omit<WhatsAppAdapterOptions, 'logger'>;

/** Secrets come from the environment only, never flags: a command line is visible to every user of the machine. */
const SECRET_ENV = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET'] as const;

export async function makeWhatsAppAdapter(settings: WhatsAppSettings, { logger }: BotContext): Promise<WhatsAppAdapter> {
  // Loaded only when this platform runs: the CLI starts without every SDK.
  const { WhatsAppAdapter } = await import('../../../../adapters/whatsapp/whatsapp-adapter.js');
  const { accessToken, phoneNumberId, verifyToken, appSecret, apiUrl, port, host } = settings;
  return new WhatsAppAdapter({ accessToken, phoneNumberId, verifyToken, appSecret, apiUrl, port, host, logger });
}

export function registerWhatsAppBot(bot: Command): void {
  const command = bot
    .command('whatsapp')
    .description('run a WhatsApp Cloud API bot: a signed webhook (any number of workers behind a load balancer); secrets from $WHATSAPP_ACCESS_TOKEN, $WHATSAPP_VERIFY_TOKEN, $WHATSAPP_APP_SECRET')
    .addOption(new Option('--phone-number-id <id>', 'the business phone number\'s id (default: $WHATSAPP_PHONE_NUMBER_ID)'))
    .addOption(new Option('--api-url <url>', `Graph API base URL (default: $WHATSAPP_API_URL, else ${DEFAULT_GRAPH_API_URL})`))
    .addOption(new Option('--port <port>', 'port of the webhook server').argParser(Number).default(8080))
    .addOption(new Option('--host <host>', 'address the webhook server listens on').default('0.0.0.0'));
  addExamples(command, ['threadline bot whatsapp --db postgres://app@db/threadline --port 8080']);
  addRunnerOptions(command).action(async (options: WhatsAppCliOptions) => {
    const env = process.env;
    const phoneNumberId = options.phoneNumberId ?? env.WHATSAPP_PHONE_NUMBER_ID;
    const missing = [...(phoneNumberId ? [] : ['WHATSAPP_PHONE_NUMBER_ID']), ...SECRET_ENV.filter((name) => !env[name])];
    if (missing.length > 0) {
      throw new CliError(`WhatsApp needs ${missing.join(', ')}: set them from your Meta app (see adapters/whatsapp/README.md)`, 2);
    }
    const settings: WhatsAppSettings = {
      accessToken: env.WHATSAPP_ACCESS_TOKEN!,
      phoneNumberId: phoneNumberId!,
      verifyToken: env.WHATSAPP_VERIFY_TOKEN!,
      appSecret: env.WHATSAPP_APP_SECRET!,
      apiUrl: options.apiUrl ?? env.WHATSAPP_API_URL,
      port: options.port,
      host: options.host,
    };
    await runBot(options, (context) => makeWhatsAppAdapter(settings, context));
  });
}
