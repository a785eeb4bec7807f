import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DiscordAdapter } from '../../../../adapters/discord/discord-adapter.js';
import { CliError } from '../../cli-error.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot, type BotContext } from './run-bot.js';
import { addExamples } from '../../help-text.js';

interface DiscordCliOptions extends RunnerCliOptions {
  token?: string;
  apiUrl?: string;
  shards: number;
  commandGuilds?: string[];
}

/** What a Discord bot is configured with, from flags (`bot discord`) or a config file (`bot run --config`). */
export interface DiscordSettings {
  token: string;
  apiUrl?: string;
  /** Total gateway shards of the bot, split between the workers. */
  shards: number;
  /** Register the slash commands in these guilds instead of globally. */
  commandGuilds?: string[];
}

const shardCount = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
};

const guildIds = (value: string) => {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0 || ids.some((id) => !/^\d{1,20}$/.test(id))) throw new InvalidArgumentError('expected comma-separated Discord guild ids (digits)');
  return ids;
};

/**
 * The Discord adapter for `settings`, identified, so a wrong token fails before the runner starts. `onFatal` is
 * called when Discord refuses the gateway for good (token, intents, shard count); the caller decides how to stop.
 */
export async function makeDiscordAdapter(
  settings: DiscordSettings,
  { store, logger, onFatal }: BotContext & { onFatal: (error: Error) => void },
): Promise<DiscordAdapter> {
  // Loaded only when this platform runs: the CLI starts without every SDK.
  const { DiscordAdapter } = await import('../../../../adapters/discord/discord-adapter.js');
  const adapter = new DiscordAdapter({
    token: settings.token,
    apiUrl: settings.apiUrl,
    shardCount: settings.shards,
    leases: store,
    logger,
    onFatal,
    ...(settings.commandGuilds?.length ? { commandGuildIds: settings.commandGuilds } : {}),
  });
  const me = await adapter.identify();
  logger.info({ bot: me.username, botId: me.id, shards: settings.shards }, 'Discord bot identified');
  return adapter;
}

export function registerDiscordBot(bot: Command): void {
  const command = bot
    .command('discord')
    .description('run a Discord bot on the gateway; several workers split its shards between them (Postgres)')
    .addOption(new Option('--token <token>', 'bot token from the Developer Portal (default: $DISCORD_BOT_TOKEN)'))
    .addOption(new Option('--api-url <url>', 'REST API base URL (default: $DISCORD_API_URL, else Discord\'s); the gateway URL comes from it'))
    .addOption(new Option('--shards <n>', 'total gateway shards of the bot, split between the workers').argParser(shardCount).default(1))
    .addOption(
      new Option('--command-guilds <ids>', 'register the slash commands (/new, /ask…) in these guilds instead of globally (comma-separated ids)').argParser(guildIds),
    );
  addExamples(command, ['DISCORD_BOT_TOKEN=… threadline bot discord --db postgres://app@db/threadline --shards 2', 'threadline bot discord --allow 123456789012345678 --group-policy respond_all']);
  addRunnerOptions(command).action(async (options: DiscordCliOptions) => {
    const token = options.token ?? process.env.DISCORD_BOT_TOKEN;
    if (!token) throw new CliError('no Discord bot token: pass --token or set DISCORD_BOT_TOKEN (Developer Portal → your application → Bot)', 2);
    const settings: DiscordSettings = { token, apiUrl: options.apiUrl ?? process.env.DISCORD_API_URL, shards: options.shards, commandGuilds: options.commandGuilds };
    let refused: Error | undefined;
    await runBot(options, (context) =>
      makeDiscordAdapter(settings, {
        ...context,
        onFatal: (error) => {
          refused ??= error;
          context.stop();
        },
      }),
    );
    // Discord refused the gateway for good: shut down cleanly, then fail.
    if (refused) throw refused;
  });
}
