import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError } from '../../cli-error.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot } from './run-bot.js';

interface DiscordCliOptions extends RunnerCliOptions {
  token?: string;
  apiUrl?: string;
  shards: number;
}

const shardCount = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
};

export function registerDiscordBot(bot: Command): void {
  const command = bot
    .command('discord')
    .description('run a Discord bot on the gateway; several workers split its shards between them (Postgres)')
    .addOption(new Option('--token <token>', 'bot token from the Developer Portal (default: $DISCORD_BOT_TOKEN)'))
    .addOption(new Option('--api-url <url>', 'REST API base URL (default: $DISCORD_API_URL, else Discord\'s); the gateway URL comes from it'))
    .addOption(new Option('--shards <n>', 'total gateway shards of the bot, split between the workers').argParser(shardCount).default(1));
  addRunnerOptions(command).action(async (options: DiscordCliOptions) => {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { DiscordAdapter } = await import('../../../../adapters/discord/discord-adapter.js');
    const token = options.token ?? process.env.DISCORD_BOT_TOKEN;
    if (!token) throw new CliError('no Discord bot token: pass --token or set DISCORD_BOT_TOKEN (Developer Portal → your application → Bot)', 2);
    let refused: Error | undefined;
    await runBot(options, async ({ store, logger, stop }) => {
      const adapter = new DiscordAdapter({
        token,
        apiUrl: options.apiUrl ?? process.env.DISCORD_API_URL,
        shardCount: options.shards,
        leases: store,
        logger,
        onFatal: (error) => {
          refused ??= error;
          stop();
        },
      });
      const me = await adapter.identify();
      logger.info({ bot: me.username, botId: me.id, shards: options.shards }, 'Discord bot identified');
      return adapter;
    });
    // Discord refused the gateway for good (token, intents, shard count): shut down cleanly, then fail.
    if (refused) throw refused;
  });
}
