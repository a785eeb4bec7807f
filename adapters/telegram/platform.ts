import { z } from 'zod';
import { setting } from '../../src/settings/setting.js';
import { port, text } from '../../src/settings/values.js';
import { configuredOnce, declarePlatform, type Identity } from '../shared/platform-declaration.js';

const SECRET_FORM = '1-256 characters A-Z, a-z, 0-9, _ and -';

export const telegramPlatform = declarePlatform({
  name: 'telegram',
  description: 'run a Telegram bot: long polling (one worker polls, others stand by) or a webhook (any number of workers)',
  examples: [
    'TELEGRAM_BOT_TOKEN=123:abc threadline bot telegram --db postgres://app@db/threadline --allow 42',
    'threadline bot telegram --webhook-url https://bot.example.com/telegram --webhook-secret s3cret',
  ],
  settings: {
    token: setting(text(), { description: 'bot token from @BotFather', value: 'token', env: 'TELEGRAM_BOT_TOKEN', secret: true }),
    apiRoot: setting(text().optional(), { description: 'Bot API base URL', value: 'url', env: 'TELEGRAM_API_ROOT', defaultText: "$TELEGRAM_API_ROOT, else Telegram's" }),
    webhookUrl: setting(text().optional(), { description: 'public HTTPS URL Telegram posts updates to; without it the bot long-polls', value: 'url' }),
    webhookSecret: setting(text().optional(), {
      description: `secret token Telegram sends with each update (${SECRET_FORM})`,
      value: 'secret',
      env: 'TELEGRAM_WEBHOOK_SECRET',
      secret: true,
    }),
    port: setting(port().default(8080), { description: 'port of the webhook server', value: 'port' }),
  },
  check(settings, ctx) {
    if (settings.webhookUrl && !settings.webhookSecret) {
      ctx.addIssue({ code: 'custom', path: ['webhookSecret'], message: `is required in webhook mode (${SECRET_FORM})` });
    }
  },
  // Earlier config files nested the webhook: `webhook: { url, secret, port }`.
  configAliases: {
    shape: { webhook: z.strictObject({ url: text().optional(), secret: text().optional(), port: port().optional() }).optional() },
    normalize({ webhook, ...section }) {
      const nested = (webhook ?? {}) as { url?: string; secret?: string; port?: number };
      return {
        ...section,
        ...(nested.url !== undefined && { webhookUrl: nested.url }),
        ...(nested.secret !== undefined && { webhookSecret: nested.secret }),
        ...(nested.port !== undefined && { port: nested.port }),
      };
    },
  },
  identities({ token, webhookUrl }) {
    // A Bot API token is `<bot id>:<secret>`: two tokens of one bot (one revoked, one new) name the same id.
    const id = /^(\d+):/.exec(token)?.[1];
    const found: Identity[] = [['token', `telegram token ${token}`, configuredOnce('the same token')]];
    if (id) found.push(['token', `telegram bot ${id}`, configuredOnce(`the same bot (id ${id}, the token's first part)`)]);
    // Telegram would post both bots' updates to one server, which refuses the other bot's (wrong secret).
    if (webhookUrl) found.push(['webhookUrl', `telegram webhook ${webhookUrl}`, (holder) => `the same webhook url as ${holder}: each bot needs a webhook of its own`]);
    return found;
  },
  serverPort: ({ webhookUrl }) => (webhookUrl ? 'port' : undefined),
  async makeAdapter(settings, { leases, logger }) {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { TelegramAdapter } = await import('./telegram-adapter.js');
    const { token, apiRoot, webhookUrl, webhookSecret } = settings;
    const adapter = new TelegramAdapter({
      token,
      apiRoot,
      logger,
      receive: webhookUrl && webhookSecret ? { kind: 'webhook', url: webhookUrl, secret: webhookSecret, port: settings.port } : { kind: 'polling', leases },
    });
    const me = await adapter.identify();
    logger.info({ bot: me.username }, 'Telegram bot identified');
    return adapter;
  },
});
