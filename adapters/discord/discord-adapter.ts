import { DiscordAPIError, REST, Routes, Status, type APIAllowedMentions, type Client, type APIMessage, type APIUser, type Message, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import type { Logger } from '../../src/log.js';
import type { DeliveryFault, InboundHandler, InboundSink, PlatformAdapter, ReplyTarget } from '../../src/runner/platform-adapter.js';
import { PlatformStartError } from '../../src/runner/platform-start-error.js';
import type { HistoryStore } from '../../src/store/types.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { recordInbound } from '../shared/record-inbound.js';
import { classifyDiscordError } from './classify-error.js';
import { normalizeMessage } from './normalize-message.js';
import { ShardClaimer } from './shard-claimer.js';
import { connectShard, DiscordGatewayRefusedError } from './shard-connection.js';

/** Discord's limit for one message's content, in characters. */
export const DISCORD_TEXT_LIMIT = 2000;
/** Discord allows about 5 message writes per 5 s in a channel; edits count. */
const MIN_EDIT_INTERVAL_MS = 1_000;
/** Replies never ping @everyone, roles or users the model happens to write; only the user answered may be notified. */
const NO_MENTIONS: APIAllowedMentions = { parse: [], replied_user: true };

export interface DiscordBotIdentity {
  id: string;
  username: string;
}

export interface DiscordAdapterOptions {
  token: string;
  /** REST base (discord.js `rest.api`, default Discord's); tests and proxies set it. */
  apiUrl?: string;
  /** The bot's total gateway shard count; each worker serves the shards whose lease it holds. */
  shardCount: number;
  leases: Pick<HistoryStore, 'tryAcquireLease'>;
  logger: Logger;
  /** Discord refused the gateway for good (bad token, Message Content intent not enabled…): the process should stop. */
  onFatal: (error: DiscordGatewayRefusedError) => void;
}


/**
 * Discord through discord.js: receives messages on the gateway shards this worker holds (see `ShardClaimer`),
 * and sends, edits and types through REST, which works for any channel whichever worker holds its shard.
 */
export class DiscordAdapter implements PlatformAdapter {
  private stopping = false;
  readonly platform = 'discord';
  readonly textLimit = DISCORD_TEXT_LIMIT;
  readonly minEditIntervalMs = MIN_EDIT_INTERVAL_MS;
  private readonly rest: REST;
  private readonly recording = new KeyedSerialQueue();
  private me?: DiscordBotIdentity;
  private claimer?: ShardClaimer;
  /** The gateway client of each shard this worker serves. */
  private readonly clients = new Map<number, Client>();

  constructor(private readonly options: DiscordAdapterOptions) {
    this.rest = new REST(options.apiUrl ? { api: options.apiUrl } : {}).setToken(options.token);
  }

  /** The bot's user id, once `identify()` has resolved: its runner's inbox queue is `discord:<bot id>`. */
  get botId(): string | undefined {
    return this.me?.id;
  }

  /** The bot's identity (`GET /users/@me`); a bad token fails here with one line. */
  async identify(): Promise<DiscordBotIdentity> {
    if (this.me) return this.me;
    try {
      const user = (await this.rest.get(Routes.user())) as APIUser;
      this.me = { id: user.id, username: user.username };
      return this.me;
    } catch (error) {
      if (error instanceof DiscordAPIError && error.status === 401) {
        throw new PlatformStartError('Discord rejected the bot token: check DISCORD_BOT_TOKEN / --token (Developer Portal → your application → Bot → Reset Token)', 'credentials', { cause: error });
      }
      const where = this.options.apiUrl ? ` at ${new URL(this.options.apiUrl).host}` : '';
      throw new PlatformStartError(`could not reach the Discord API${where}: ${(error as Error).message}`, 'unreachable', { cause: error });
    }
  }

  async start(inbox: InboundSink): Promise<void> {
    const me = await this.identify();
    const { shardCount, logger } = this.options;
    this.claimer = new ShardClaimer({
      leases: this.options.leases,
      shardCount,
      leaseName: (shard) => `discord-shard:${me.id}:${shard}/${shardCount}`,
      logger,
      connect: async (shard) => {
        const client = await connectShard({
          token: this.options.token,
          apiUrl: this.options.apiUrl,
          shard,
          shardCount,
          logger,
          onMessage: (message) => this.accept(message, me, inbox.receive),
          onRefused: this.options.onFatal,
        }).catch((error: unknown) => {
          if (error instanceof DiscordGatewayRefusedError) this.options.onFatal(error);
          throw error;
        });
        this.clients.set(shard, client);
        return () => {
          this.clients.delete(shard);
          return client.destroy();
        };
      },
    });
    await this.claimer.start();
  }

  /**
   * Ready while every shard this worker serves is connected to the gateway (discord.js reconnecting or resuming one
   * is not), or while it stands by because other workers serve every shard.
   */
  readiness(): string | undefined {
    if (this.stopping) return 'stopped';
    if (!this.claimer) return 'not started';
    for (const [shard, client] of this.clients) {
      const status = client.ws.shards.get(shard)?.status;
      if (status !== Status.Ready) return `gateway shard ${shard} is not connected (${status === undefined ? 'no connection' : Status[status]})`;
    }
    if (this.clients.size === 0 && !this.claimer.waitingForAShard) return 'no gateway shard connected yet';
    return undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.claimer?.stop();
    await this.recording.idle();
  }

  private accept(message: Message, me: DiscordBotIdentity, handler: InboundHandler): void {
    const inbound = normalizeMessage(message, me.id);
    // Discord never sends a message again: retry until it is recorded (or the bot stops).
    if (inbound) {
      void this.recording.run(inbound.chatId, () =>
        recordInbound(() => handler(inbound), inbound, { logger: this.options.logger, stopping: () => this.stopping }).catch(() => {}),
      );
    }
  }

  async send(target: ReplyTarget, text: string): Promise<string> {
    const body: RESTPostAPIChannelMessageJSONBody = {
      content: text,
      allowed_mentions: NO_MENTIONS,
      // A deleted original must not make the answer fail.
      ...(target.replyToMessageId ? { message_reference: { message_id: target.replyToMessageId, fail_if_not_exists: false } } : {}),
    };
    const sent = (await this.rest.post(Routes.channelMessages(target.chatId), { body })) as APIMessage;
    return sent.id;
  }

  async edit(target: ReplyTarget, messageId: string, text: string): Promise<void> {
    await this.rest.patch(Routes.channelMessage(target.chatId, messageId), { body: { content: text, allowed_mentions: NO_MENTIONS } });
  }

  classifyError(error: unknown): DeliveryFault {
    return classifyDiscordError(error);
  }

  async typing(target: ReplyTarget): Promise<void> {
    await this.rest.post(Routes.channelTyping(target.chatId));
  }
}
