import { ChannelType, Client, Events, GatewayCloseCodes, GatewayIntentBits, Partials, type Interaction, type Message } from 'discord.js';
import type { Logger } from '../../src/log.js';
import { ThreadlineError } from '../../src/errors.js';

/** Guild messages with their text (Message Content is privileged: it must be enabled in the Developer Portal) and DMs. */
const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages];
/** A gateway that neither becomes ready nor refuses within this time is given up on, so the shard is tried again. */
const READY_TIMEOUT_MS = 60_000;

/** Discord closed the gateway with a code that retrying cannot fix: the configuration must change. */
export class DiscordGatewayRefusedError extends ThreadlineError {}

export interface ShardConnectionOptions {
  token: string;
  /** REST base (discord.js `rest.api`); the gateway URL comes from its `GET /gateway/bot`. */
  apiUrl?: string;
  shard: number;
  shardCount: number;
  logger: Logger;
  onMessage: (message: Message) => void;
  /** Interactions (slash commands) the gateway delivers; they need no intent. */
  onInteraction?: (interaction: Interaction) => void;
  /** The gateway refused the connection for good after it was ready (before, `connectShard` rejects instead). */
  onRefused: (error: DiscordGatewayRefusedError) => void;
}

/**
 * One discord.js client for one gateway shard: resolves with the client once the shard is ready (its guilds
 * loaded), rejects if Discord refuses it. discord.js reconnects and resumes by itself after network failures.
 */
export async function connectShard(options: ShardConnectionOptions): Promise<Client> {
  const { shard, shardCount, logger } = options;
  const client = new Client({
    intents: INTENTS,
    // DM channels are not cached until a message arrives: without this partial, DMs raise no messageCreate.
    partials: [Partials.Channel],
    ...(options.apiUrl ? { rest: { api: options.apiUrl } } : {}),
    shards: [shard],
    shardCount,
  });
  // discord.js builds an uncached DM channel from MESSAGE_CREATE's `channel_type`, which Discord documents as
  // optional: without it the message is dropped with no event at all. A MESSAGE_CREATE without `guild_id` can only
  // be a DM (bots are in no group DMs), so it is marked as one before discord.js handles it ('raw' is emitted first,
  // with the same packet).
  client.on(Events.Raw, (packet: { t?: unknown; d?: Record<string, unknown> | null }) => {
    const d = packet.d;
    if (packet.t !== 'MESSAGE_CREATE' || typeof d !== 'object' || d === null || 'guild_id' in d || d.channel_type !== undefined) return;
    d.channel_type = ChannelType.DM;
    logger.debug({ shard, channelId: d.channel_id, messageId: d.id }, 'a DM MESSAGE_CREATE without channel_type: taken as a DM');
  });
  client.on(Events.MessageCreate, options.onMessage);
  if (options.onInteraction) client.on(Events.InteractionCreate, options.onInteraction);
  client.on(Events.ShardError, (error) => logger.warn({ err: error, shard }, 'Discord gateway connection failed; discord.js reconnects'));

  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  const whenReady = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Discord gateway shard ${shard} was not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    client.once(Events.ClientReady, () => {
      ready = true;
      resolve();
    });
    // discord.js emits shardDisconnect only for close codes it will not reconnect after.
    client.on(Events.ShardDisconnect, ({ code }) => {
      const error = new DiscordGatewayRefusedError(refusalMessage(code, shardCount));
      if (ready) options.onRefused(error);
      else reject(error);
    });
  });
  try {
    await Promise.all([client.login(options.token), whenReady]);
    return client;
  } catch (error) {
    await client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function refusalMessage(code: number, shardCount: number): string {
  switch (code) {
    case GatewayCloseCodes.AuthenticationFailed:
      return 'the Discord gateway rejected the bot token: check DISCORD_BOT_TOKEN / --token (Developer Portal → your application → Bot → Reset Token)';
    case GatewayCloseCodes.DisallowedIntents:
      return 'Discord refused the Message Content intent: enable "Message Content Intent" under Bot → Privileged Gateway Intents in the Developer Portal';
    case GatewayCloseCodes.ShardingRequired:
      return `Discord requires more shards for this bot than --shards ${shardCount}: raise --shards (Discord wants at most 2,500 guilds per shard)`;
    case GatewayCloseCodes.InvalidShard:
      return `Discord refused the shard setup (--shards ${shardCount}): check --shards`;
    default:
      return `the Discord gateway closed the connection with code ${code} (${GatewayCloseCodes[code] ?? 'unknown'}) and it cannot be retried`;
  }
}
