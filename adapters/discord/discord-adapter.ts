import { DiscordAPIError, MessageFlags, REST, Routes, Status, type APIAllowedMentions, type ChatInputCommandInteraction, type Client, type APIMessage, type APIUser, type Interaction, type Message, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import type { Logger } from '../../src/log.js';
import type { Attachment, DeliveryFault, InboundHandler, InboundSink, PlatformAdapter, ReplyTarget } from '../../src/runner/platform-adapter.js';
import { PlatformStartError } from '../../src/runner/platform-start-error.js';
import type { LeaseProvider } from '../../src/runner/lease-provider.js';
import { downloadBytes } from '../shared/download.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { recordInbound } from '../shared/record-inbound.js';
import { registerApplicationCommands } from './application-commands.js';
import { classifyDiscordError } from './classify-error.js';
import { normalizeMessage } from './normalize-message.js';
import { ShardClaimer } from './shard-claimer.js';
import { connectShard, DiscordGatewayRefusedError } from './shard-connection.js';
import { alreadyAcknowledged, normalizeInteraction, RecentIds, slashInvocation } from './slash-commands.js';

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
  leases: LeaseProvider;
  logger: Logger;
  /** Discord refused the gateway for good (bad token, Message Content intent not enabled…): the process should stop. */
  onFatal: (error: DiscordGatewayRefusedError) => void;
  /** Register the application commands in these guilds instead of globally (default: globally). */
  commandGuildIds?: readonly string[];
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
  /** Interactions this worker has taken: a redelivery to it is dropped before it is acknowledged twice. */
  private readonly interactions = new RecentIds();

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
    const commands = inbox.commands ?? [];
    // In the background: receiving messages must not wait for it (nor fail with it).
    void registerApplicationCommands({ rest: this.rest, commands, guildIds: this.options.commandGuildIds, logger });
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
          onInteraction: (interaction) => this.acceptInteraction(interaction, me, inbox),
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

  /**
   * A slash command: acknowledged at once with a public answer (the question quoted, or the command's name), within
   * the 3 s Discord allows and whatever the store is doing; then recorded like a message, the interaction id as its
   * event id. The runner's reply is an ordinary channel message (replying to that acknowledgement in a server), so it
   * streams, splits and retries like any other and any worker can send it: no interaction token is kept, and none
   * expires under a reply that waits for a retry.
   */
  private acceptInteraction(interaction: Interaction, me: DiscordBotIdentity, inbox: InboundSink): void {
    if (!interaction.isChatInputCommand() || this.stopping) return;
    // A redelivery to this worker: acknowledged (and recorded) already.
    if (!this.interactions.add(interaction.id)) return;
    void this.answerInteraction(interaction, me, inbox).catch((error: unknown) =>
      this.options.logger.warn({ err: error, interaction: interaction.id }, 'could not take a Discord slash command'),
    );
  }

  private async answerInteraction(interaction: ChatInputCommandInteraction, me: DiscordBotIdentity, inbox: InboundSink): Promise<void> {
    const { logger } = this.options;
    const invocation = slashInvocation(interaction, inbox.commands ?? []);
    if (!invocation) {
      // Only its user sees this: a command an older registration left, or an /ask with nothing to ask.
      await interaction.reply({ content: 'Nothing to do: try /help.', flags: MessageFlags.Ephemeral });
      return;
    }
    let echoMessageId: string | undefined;
    try {
      const response = await interaction.reply({ content: invocation.acknowledgement, allowedMentions: { parse: [] }, withResponse: true });
      echoMessageId = response.resource?.message?.id;
    } catch (error) {
      // Acknowledged already (a redelivery another worker took: the inbox drops it), or too late: the reply still goes
      // to the channel.
      if (alreadyAcknowledged(error)) logger.debug({ interaction: interaction.id }, 'Discord interaction acknowledged already (a redelivery)');
      else logger.warn({ interaction: interaction.id, reason: classifyDiscordError(error).reason }, 'could not acknowledge a Discord slash command; answering in the channel anyway');
    }
    const inbound = normalizeInteraction(interaction, me.id, invocation.text, echoMessageId);
    if (!inbound) return;
    // Discord never sends an interaction again on its own: retry until it is recorded (or the bot stops).
    await this.recording.run(inbound.chatId, () =>
      recordInbound(() => inbox.receive(inbound), inbound, { logger, stopping: () => this.stopping }).catch(() => {}),
    );
  }

  /**
   * An attachment's bytes from its CDN `url`: signed (`ex`, `is`, `hm`), needing no authorization, so the bot token
   * is never sent. The URL expires (about a day): the worker keeps the bytes for a retry.
   */
  async fetchAttachment(attachment: Attachment, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }> {
    if (!attachment.url) throw new Error(`the Discord ${attachment.kind} has no CDN url`);
    const got = await downloadBytes(attachment.url, { maxBytes: options.maxBytes, signal: options.signal, what: `the Discord ${attachment.kind}` });
    const mimeType = attachment.mimeType ?? got.mimeType;
    return { bytes: got.bytes, ...(mimeType ? { mimeType } : {}) };
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
