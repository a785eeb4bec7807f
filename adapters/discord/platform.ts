import { z } from 'zod';
import { setting } from '../../src/settings/setting.js';
import { text, wholeNumber } from '../../src/settings/values.js';
import { configuredOnce, declarePlatform } from '../shared/platform-declaration.js';

/** A Discord id (snowflake). A bare 18-digit number in YAML is already rounded when it is read: it must be text. */
const discordId = z
  .unknown()
  .superRefine((value, ctx) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      ctx.addIssue({ code: 'custom', message: `quote Discord ids: YAML rounds a number this long (write '${String(value)}' as text, exactly as Discord shows it)` });
    }
  })
  .pipe(text())
  .pipe(z.string().regex(/^\d{1,20}$/, 'expected a Discord id (digits only)'));

export const discordPlatform = declarePlatform({
  name: 'discord',
  description: 'run a Discord bot on the gateway; several workers split its shards between them (Postgres)',
  examples: ['DISCORD_BOT_TOKEN=… threadline bot discord --db postgres://app@db/threadline --shards 2', 'threadline bot discord --allow 123456789012345678 --group-policy respond_all'],
  settings: {
    token: setting(text(), { description: 'bot token from the Developer Portal (your application → Bot)', value: 'token', env: 'DISCORD_BOT_TOKEN', secret: true }),
    apiUrl: setting(text().optional(), { description: 'REST API base URL; the gateway URL comes from it', value: 'url', env: 'DISCORD_API_URL', defaultText: "$DISCORD_API_URL, else Discord's" }),
    shards: setting(wholeNumber(1).default(1), { description: 'total gateway shards of the bot, split between the workers', value: 'n' }),
    commandGuilds: setting(z.array(discordId).optional(), {
      description: 'register the slash commands (/new, /ask…) in these guilds instead of globally (comma-separated ids)',
      value: 'ids',
      list: 'comma',
    }),
  },
  identities: ({ token }) => [['token', `discord token ${token}`, configuredOnce('the same token')]],
  async makeAdapter(settings, { leases, logger, fail }) {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { DiscordAdapter } = await import('./discord-adapter.js');
    const adapter = new DiscordAdapter({
      token: settings.token,
      apiUrl: settings.apiUrl,
      shardCount: settings.shards,
      leases,
      logger,
      // Discord refused the gateway for good (token, intents, shard count).
      onFatal: fail,
      ...(settings.commandGuilds?.length ? { commandGuildIds: settings.commandGuilds } : {}),
    });
    const me = await adapter.identify();
    logger.info({ bot: me.username, botId: me.id, shards: settings.shards }, 'Discord bot identified');
    return adapter;
  },
});
