import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeWebSocketServer, RecordedList } from './fake-slack-server.js';
import { FailureCues, type FailureCue } from './failure-cues.js';
import { listenOnLoopback, readJsonBody, sendEmpty, sendJson } from './http-json.js';

/*
 * A fake Discord: REST under /api/v10 and a JSON gateway that speaks HELLO / IDENTIFY / READY / GUILD_CREATE /
 * heartbeat ACK and routes every guild's events to the shard that owns the guild, so a real discord.js Client
 * (sharded or not) can log in and exchange messages on 127.0.0.1.
 */

export interface FakeDiscordGuild {
  id: string;
  name?: string;
  /** Text channels of the guild. */
  channels: Array<{ id: string; name?: string }>;
}

export interface FakeDiscordOptions {
  token: string;
  botUserId?: string;
  guilds?: FakeDiscordGuild[];
  /** What `GET /gateway/bot` recommends; a client created with `shards: 'auto'` opens this many shards. */
  shardCount?: number;
  /** The application's id (`GET /applications/@me`, READY's `application.id`); default: the bot user's id. */
  applicationId?: string;
}

export interface DiscordSentMessage {
  id: string;
  channelId: string;
  content: string;
  /** The message this one replies to (`message_reference.message_id`). */
  replyTo?: string;
}

export interface DiscordEdit {
  channelId: string;
  messageId: string;
  content: string;
}

export interface GatewayClose {
  shard?: [number, number];
  code: number;
}

export interface InboundMessageInput {
  channelId: string;
  /** Defaults to the configured guild that owns `channelId`. */
  guildId?: string;
  authorId: string;
  authorName?: string;
  content: string;
  mentionsBot?: boolean;
  /** Posts inside this thread of `channelId`, announcing the thread first if the client has not seen it. */
  threadId?: string;
}

export interface DmMessageInput {
  channelId: string;
  authorId: string;
  authorName?: string;
  content: string;
}

/**
 * A REST refusal as Discord answers it: HTTP `status` with `{message, code}`; a 429 also carries `retry_after`
 * (seconds) in the body and the `Retry-After` header.
 */
export interface DiscordErrorAnswer {
  status: number;
  /** Discord's JSON error code, e.g. 50007 (Cannot send messages to this user); 0 for none. */
  code: number;
  message: string;
  retryAfter?: number;
}

/** The REST routes the fake serves, by the names of Discord's API reference. */
export type DiscordRestMethod =
  | 'createMessage'
  | 'editMessage'
  | 'triggerTypingIndicator'
  | 'getApplicationCommands'
  | 'bulkOverwriteApplicationCommands'
  | 'createInteractionResponse';

/** An application command as the fake keeps it: what was registered, with the id Discord gave it. */
export interface DiscordApplicationCommand {
  id: string;
  type: number;
  name: string;
  description: string;
  options?: Array<{ type: number; name: string; description: string; required?: boolean }>;
  contexts?: number[] | null;
  integration_types?: number[];
}

/** One bulk overwrite (`PUT …/commands`): where, and the commands it left registered there. */
export interface CommandRegistration {
  /** Undefined for the global commands. */
  guildId?: string;
  commands: DiscordApplicationCommand[];
}

/** The bot's answer to an interaction (`POST /interactions/{id}/{token}/callback`). */
export interface InteractionResponse {
  interactionId: string;
  /** 4: a message now; 5: deferred ("thinking…"). */
  type: number;
  content?: string;
  flags?: number;
  /** The message the answer created (type 4), in the interaction's channel. */
  messageId?: string;
}

export interface SlashCommandInput {
  /** A guild text channel, or a DM channel (`dm: true`). */
  channelId: string;
  dm?: boolean;
  userId: string;
  userName?: string;
  /** The command's name; it must be registered (globally, or in the channel's guild). */
  command: string;
  /** Option values by name (string options). */
  options?: Record<string, string>;
}

export interface FakeDiscord {
  /** `http://127.0.0.1:P/api`: pass as `rest: { api }` (discord.js appends `/v10`). */
  apiUrl: string;
  botUserId: string;
  /** Messages the bot sent. */
  messages: RecordedList<DiscordSentMessage>;
  edits: RecordedList<DiscordEdit>;
  /** Channel ids the bot sent a typing indicator to. */
  typing: RecordedList<string>;
  gatewayCloses: RecordedList<GatewayClose>;
  applicationId: string;
  /** Every bulk overwrite of application commands, in order. */
  commandRegistrations: RecordedList<CommandRegistration>;
  /** The application commands registered now, globally (no argument) or in a guild. */
  registeredCommands(guildId?: string): DiscordApplicationCommand[];
  /** Every answer to an interaction that Discord accepted (a second answer to one interaction is refused: 40060). */
  interactionResponses: RecordedList<InteractionResponse>;
  /**
   * Dispatches INTERACTION_CREATE for a registered chat-input command (on the guild's shard, or shard 0 for a DM);
   * returns the interaction sent. Throws if the command is not registered where it is used, as Discord would never
   * offer it there.
   */
  slashCommand(input: SlashCommandInput): Record<string, unknown> & { id: string; token: string };
  /** Dispatches the same interaction again, as a gateway redelivery would. */
  redeliverInteraction(interaction: Record<string, unknown>): void;
  /**
   * Makes the next `times` (default 1) calls of `method` (in channel `chatId`, when given) answer `error`, e.g.
   * `failCalls({ method: 'createMessage', error: { status: 403, code: 50007, message: 'Cannot send messages to this user' } })`.
   */
  failCalls(cue: FailureCue<DiscordErrorAnswer> & { method: DiscordRestMethod }): void;
  /** Dispatches a guild MESSAGE_CREATE on the owning shard; returns the message object sent. */
  sendMessageCreate(input: InboundMessageInput): Record<string, unknown>;
  /** Dispatches a DM MESSAGE_CREATE (`channel_type: 1`) on shard 0; returns the message object sent. */
  dmMessage(input: DmMessageInput): Record<string, unknown>;
  /**
   * Dispatches `message` (a MESSAGE_CREATE payload as Discord sends it, e.g. a fixture) as it is, on the shard that
   * owns its guild (shard 0 without `guild_id`, which also makes its channel a DM channel the bot can answer in).
   */
  dispatchMessage(message: Record<string, unknown> & { channel_id: string; author: { id: string } }): void;
  /** Shard ids that have identified and are still connected, ascending. */
  connectedShards(): number[];
  /**
   * Serves `bytes` as an attachment on the fake CDN (`/attachments/<channel>/<id>/<name>?ex&is&hm`, signed as
   * Discord's are, no authorization needed); returns the message's `attachments[]` entry for it.
   */
  addAttachment(bytes: Buffer, file: { channelId: string; filename: string; contentType: string; declaredSize?: number; duration?: number }): Record<string, unknown> & { id: string; url: string };
  /** CDN downloads, in order: the path, and whether the request carried an Authorization header (it never should). */
  readonly cdnDownloads: ReadonlyArray<{ path: string; authorization: boolean }>;
  close(): Promise<void>;
}

const DISCORD_EPOCH = 1_420_070_400_000n;
const HEARTBEAT_INTERVAL_MS = 41_250;
const GATEWAY_PATH = '/gateway';
const CHANNEL_TYPE = { GuildText: 0, DM: 1, PublicThread: 11 } as const;
const GatewayOp = { Dispatch: 0, Heartbeat: 1, Identify: 2, Resume: 6, InvalidSession: 9, Hello: 10, HeartbeatAck: 11 } as const;

/** The shard Discord routes a guild to: `(guild_id >> 22) % shard_count`. */
export function shardForGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

interface GatewaySession {
  socket: WebSocket;
  shard?: [number, number];
  sequence: number;
}

type DiscordChannel = Record<string, unknown> & { id: string; type: number; guild_id?: string };

export async function startFakeDiscord(options: FakeDiscordOptions): Promise<FakeDiscord> {
  const botUserId = options.botUserId ?? '900000000000000001';
  const shardCount = options.shardCount ?? 1;
  const guilds = options.guilds ?? [];
  const botUser = { id: botUserId, username: 'threadline', discriminator: '0', global_name: null, avatar: null, bot: true, flags: 0 };
  const messages = new RecordedList<DiscordSentMessage>();
  const edits = new RecordedList<DiscordEdit>();
  const typing = new RecordedList<string>();
  const gatewayCloses = new RecordedList<GatewayClose>();
  const sentMessages = new Map<string, Record<string, unknown>>();
  const channels = new Map<string, DiscordChannel>();
  const sessions = new Set<GatewaySession>();
  const failures = new FailureCues<DiscordErrorAnswer>();
  const applicationId = options.applicationId ?? botUserId;
  const commandRegistrations = new RecordedList<CommandRegistration>();
  const interactionResponses = new RecordedList<InteractionResponse>();
  /** Registered commands by scope: '' for the global ones, else the guild id. */
  const commandScopes = new Map<string, DiscordApplicationCommand[]>();
  /** Interactions sent, by id: their token, channel, and whether they were answered. */
  const interactions = new Map<string, { token: string; channelId: string; guildId?: string; answered: boolean }>();
  let idCounter = 0n;

  // Real snowflakes, so discord.js derives sensible creation times from them.
  const nextId = (): string => String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (++idCounter & 0x3fffffn));

  for (const guild of guilds) {
    guild.channels.forEach((channel, position) => {
      channels.set(channel.id, { id: channel.id, type: CHANNEL_TYPE.GuildText, guild_id: guild.id, name: channel.name ?? `channel-${channel.id}`, position, permission_overwrites: [], nsfw: false, rate_limit_per_user: 0 });
    });
  }

  const messageObject = (fields: { channelId: string; guildId?: string; author: Record<string, unknown>; content: string; mentions?: unknown[]; replyTo?: string }) => ({
    id: nextId(),
    channel_id: fields.channelId,
    ...(fields.guildId && { guild_id: fields.guildId, member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false } }),
    author: fields.author,
    content: fields.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: fields.mentions ?? [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components: [],
    pinned: false,
    flags: 0,
    type: fields.replyTo ? 19 : 0,
    ...(fields.replyTo && { message_reference: { type: 0, message_id: fields.replyTo, channel_id: fields.channelId, ...(fields.guildId && { guild_id: fields.guildId }) } }),
  });

  // --- REST -----------------------------------------------------------------------------------------------------

  const notFound = (res: ServerResponse, what: string, code: number) => sendJson(res, 404, { message: `Unknown ${what}`, code });

  const handleRest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\/v10/, '');
    // Interaction callbacks carry the interaction's token in the path, and no bot token.
    const callback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (callback && req.method === 'POST') return interactionCallback(req, res, callback[1], callback[2], url.searchParams.get('with_response') === 'true');
    if (req.headers.authorization !== `Bot ${options.token}`) return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
    const route = `${req.method} ${path}`;

    if (route === 'GET /gateway/bot') {
      return sendJson(res, 200, {
        url: `ws://127.0.0.1:${http.port}${GATEWAY_PATH}`,
        shards: shardCount,
        // max_concurrency = shardCount lets every shard identify at once instead of 5 s apart.
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 14_400_000, max_concurrency: shardCount },
      });
    }
    if (route === 'GET /users/@me') return sendJson(res, 200, botUser);
    if (route === 'GET /applications/@me') {
      return sendJson(res, 200, { id: applicationId, name: 'threadline', description: '', icon: null, bot_public: true, bot_require_code_grant: false, verify_key: 'fake', flags: 0, bot: botUser });
    }
    const commandsRoute = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (commandsRoute) return applicationCommands(req, res, commandsRoute[1], commandsRoute[2]);

    const channelRoute = /^\/channels\/(\d+)(\/typing|\/messages(?:\/(\d+))?)?$/.exec(path);
    if (!channelRoute) return sendJson(res, 404, { message: '404: Not Found', code: 0 });
    const [, channelId, sub, messageId] = channelRoute;
    const channel = channels.get(channelId);
    if (!channel) return notFound(res, 'Channel', 10003);

    const method: DiscordRestMethod | undefined =
      req.method === 'POST' && sub === '/messages' ? 'createMessage' : req.method === 'PATCH' && messageId ? 'editMessage' : req.method === 'POST' && sub === '/typing' ? 'triggerTypingIndicator' : undefined;
    const cued = method && failures.take(method, channelId);
    if (cued) {
      if (cued.retryAfter !== undefined) res.setHeader('retry-after', String(cued.retryAfter));
      return sendJson(res, cued.status, { message: cued.message, code: cued.code, ...(cued.retryAfter !== undefined && { retry_after: cued.retryAfter, global: false }) });
    }
    if (req.method === 'GET' && !sub) return sendJson(res, 200, channel);
    if (req.method === 'POST' && sub === '/typing') {
      typing.record(channelId);
      return sendEmpty(res);
    }
    if (req.method === 'POST' && sub === '/messages') {
      const body = (await readJsonBody(req)) as { content?: string; message_reference?: { message_id?: string } };
      const replyTo = body.message_reference?.message_id;
      const message = messageObject({ channelId, guildId: channel.guild_id, author: botUser, content: body.content ?? '', replyTo });
      sentMessages.set(message.id, message);
      messages.record({ id: message.id, channelId, content: message.content, replyTo });
      return sendJson(res, 200, message);
    }
    if (req.method === 'PATCH' && messageId) {
      const message = sentMessages.get(messageId);
      if (!message || message.channel_id !== channelId) return notFound(res, 'Message', 10008);
      const body = (await readJsonBody(req)) as { content?: string };
      const edited = { ...message, content: body.content ?? message.content, edited_timestamp: new Date().toISOString() };
      sentMessages.set(messageId, edited);
      edits.record({ channelId, messageId, content: edited.content as string });
      return sendJson(res, 200, edited);
    }
    return sendJson(res, 405, { message: '405: Method Not Allowed', code: 0 });
  };

  const refuse = (res: ServerResponse, answer: DiscordErrorAnswer) => {
    if (answer.retryAfter !== undefined) res.setHeader('retry-after', String(answer.retryAfter));
    sendJson(res, answer.status, { message: answer.message, code: answer.code, ...(answer.retryAfter !== undefined && { retry_after: answer.retryAfter, global: false }) });
  };

  /** A command as Discord would accept it in a bulk overwrite, or the reason it would not (50035 Invalid Form Body). */
  const validCommand = (raw: unknown, index: number): Omit<DiscordApplicationCommand, 'id'> | string => {
    const command = raw as Partial<DiscordApplicationCommand>;
    const type = command.type ?? 1;
    if (typeof command.name !== 'string' || !/^[-_\p{Ll}\p{N}]{1,32}$/u.test(command.name)) return `${index}.name: must be 1-32 lower-case characters`;
    if (type === 1 && (typeof command.description !== 'string' || command.description.length < 1 || command.description.length > 100)) return `${index}.description: must be 1-100 characters`;
    const options = command.options ?? [];
    for (const option of options) {
      if (typeof option.name !== 'string' || !/^[-_\p{Ll}\p{N}]{1,32}$/u.test(option.name)) return `${index}.options.name: must be 1-32 lower-case characters`;
      if (typeof option.description !== 'string' || option.description.length < 1 || option.description.length > 100) return `${index}.options.description: must be 1-100 characters`;
    }
    return {
      type,
      name: command.name,
      description: command.description ?? '',
      ...(options.length > 0 && { options: options.map((o) => ({ type: o.type, name: o.name, description: o.description, ...(o.required !== undefined && { required: o.required }) })) }),
      contexts: command.contexts ?? null,
      ...(command.integration_types && { integration_types: command.integration_types }),
    };
  };

  const applicationCommands = async (req: IncomingMessage, res: ServerResponse, appId: string, guildId: string | undefined): Promise<void> => {
    if (appId !== applicationId) return sendJson(res, 403, { message: 'Missing Access', code: 50001 });
    // An application can only register commands in a guild the bot is in (with the applications.commands scope).
    if (guildId !== undefined && !guilds.some((candidate) => candidate.id === guildId)) return sendJson(res, 403, { message: 'Missing Access', code: 50001 });
    const scope = guildId ?? '';
    const method: DiscordRestMethod = req.method === 'PUT' ? 'bulkOverwriteApplicationCommands' : 'getApplicationCommands';
    const cued = failures.take(method, guildId);
    if (cued) return refuse(res, cued);
    const withScope = (command: DiscordApplicationCommand) => ({ ...command, application_id: applicationId, version: command.id, default_member_permissions: null, nsfw: false, ...(guildId && { guild_id: guildId }) });
    if (req.method === 'GET') return sendJson(res, 200, (commandScopes.get(scope) ?? []).map(withScope));
    if (req.method !== 'PUT') return sendJson(res, 405, { message: '405: Method Not Allowed', code: 0 });
    const body = await readJsonBody(req);
    if (!Array.isArray(body)) return sendJson(res, 400, { message: 'Invalid Form Body', code: 50035 });
    const previous = commandScopes.get(scope) ?? [];
    const commands: DiscordApplicationCommand[] = [];
    for (const [index, raw] of body.entries()) {
      const valid = validCommand(raw, index);
      if (typeof valid === 'string') return sendJson(res, 400, { message: `Invalid Form Body (${valid})`, code: 50035 });
      if (commands.some((command) => command.name === valid.name && command.type === valid.type)) return sendJson(res, 400, { message: `Invalid Form Body (${index}.name: duplicate)`, code: 50035 });
      // A command that keeps its name keeps its id.
      commands.push({ id: previous.find((command) => command.name === valid.name)?.id ?? nextId(), ...valid });
    }
    commandScopes.set(scope, commands);
    commandRegistrations.record({ ...(guildId && { guildId }), commands });
    return sendJson(res, 200, commands.map(withScope));
  };

  const interactionCallback = async (req: IncomingMessage, res: ServerResponse, interactionId: string, token: string, withResponse: boolean): Promise<void> => {
    const interaction = interactions.get(interactionId);
    if (!interaction) return sendJson(res, 404, { message: 'Unknown interaction', code: 10062 });
    if (interaction.token !== token) return sendJson(res, 401, { message: 'Invalid Webhook Token', code: 50027 });
    if (interaction.answered) return sendJson(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    const cued = failures.take('createInteractionResponse', interaction.channelId);
    if (cued) return refuse(res, cued);
    const body = (await readJsonBody(req)) as { type?: number; data?: { content?: string; flags?: number } };
    if (body.type !== 4 && body.type !== 5) return sendJson(res, 400, { message: 'Invalid Form Body (type: the fake answers 4 and 5 only)', code: 50035 });
    if (body.type === 4 && !body.data?.content) return sendJson(res, 400, { message: 'Cannot send an empty message', code: 50006 });
    interaction.answered = true;
    let message: ReturnType<typeof messageObject> | undefined;
    if (body.type === 4) {
      message = { ...messageObject({ channelId: interaction.channelId, guildId: interaction.guildId, author: botUser, content: body.data!.content! }), type: 20, flags: body.data?.flags ?? 0 };
      sentMessages.set(message.id, message);
    }
    interactionResponses.record({
      interactionId,
      type: body.type,
      ...(body.data?.content !== undefined && { content: body.data.content }),
      ...(body.data?.flags !== undefined && { flags: body.data.flags }),
      ...(message && { messageId: message.id }),
    });
    if (!withResponse) return sendEmpty(res);
    return sendJson(res, 200, {
      interaction: { id: interactionId, type: 2, activity_instance_id: null, response_message_id: message?.id ?? null, response_message_loading: body.type === 5, response_message_ephemeral: ((body.data?.flags ?? 0) & 64) !== 0 },
      resource: { type: body.type, ...(message && { message }) },
    });
  };

  const cdnFiles = new Map<string, { bytes: Buffer; contentType: string; hm: string }>();
  const cdnDownloads: Array<{ path: string; authorization: boolean }> = [];
  let attachmentCount = 0;
  const serveCdn = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || !url.pathname.startsWith('/attachments/')) return false;
    const known = cdnFiles.get(url.pathname);
    // Signed URLs: without the right signature the CDN answers "This content is no longer available."
    if (!known || url.searchParams.get('hm') !== known.hm) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('This content is no longer available.');
      return true;
    }
    cdnDownloads.push({ path: url.pathname, authorization: req.headers.authorization !== undefined });
    res.writeHead(200, { 'content-type': known.contentType, 'content-length': known.bytes.length });
    res.end(known.bytes);
    return true;
  };

  const http = await listenOnLoopback((req, res) => {
    if (serveCdn(req, res)) return;
    handleRest(req, res).catch((err: unknown) => sendJson(res, 400, { message: `Invalid request: ${String(err)}`, code: 50035 }));
  });

  // --- Gateway --------------------------------------------------------------------------------------------------

  const send = (session: GatewaySession, op: number, d: unknown, t: string | null = null) => {
    const s = op === GatewayOp.Dispatch ? ++session.sequence : null;
    session.socket.send(JSON.stringify({ op, d, s, t }));
  };

  const guildCreate = (guild: FakeDiscordGuild) => ({
    id: guild.id,
    name: guild.name ?? `guild-${guild.id}`,
    icon: null,
    owner_id: '900000000000000999',
    unavailable: false,
    large: false,
    member_count: 2,
    joined_at: new Date().toISOString(),
    features: [],
    emojis: [],
    stickers: [],
    roles: [{ id: guild.id, name: '@everyone', permissions: '1071698660929', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
    members: [{ user: botUser, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false }],
    channels: [...channels.values()].filter((channel) => channel.guild_id === guild.id && channel.type === CHANNEL_TYPE.GuildText),
    threads: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    preferred_locale: 'en-US',
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    premium_tier: 0,
    nsfw_level: 0,
    system_channel_flags: 0,
  });

  const identify = (session: GatewaySession, d: { token?: string; shard?: [number, number] }) => {
    if (d.token !== options.token) return session.socket.close(4004, 'Authentication failed.');
    const shard = d.shard ?? [0, 1];
    if (shard[0] >= shard[1]) return session.socket.close(4010, 'Invalid shard.');
    session.shard = shard;
    const owned = guilds.filter((guild) => shardForGuild(guild.id, shard[1]) === shard[0]);
    send(session, GatewayOp.Dispatch, {
      v: 10,
      user: botUser,
      guilds: owned.map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: randomUUID(),
      resume_gateway_url: `ws://127.0.0.1:${http.port}${GATEWAY_PATH}`,
      shard,
      application: { id: applicationId, flags: 0 },
      private_channels: [],
    }, 'READY');
    for (const guild of owned) send(session, GatewayOp.Dispatch, guildCreate(guild), 'GUILD_CREATE');
  };

  const gateway = new WebSocketServer({ server: http.server, path: GATEWAY_PATH });
  gateway.on('connection', (socket: WebSocket) => {
    const session: GatewaySession = { socket, sequence: 0 };
    sessions.add(session);
    socket.on('close', (code) => {
      sessions.delete(session);
      gatewayCloses.record({ shard: session.shard, code });
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { op: number; d: never };
      if (frame.op === GatewayOp.Identify) identify(session, frame.d);
      else if (frame.op === GatewayOp.Heartbeat) send(session, GatewayOp.HeartbeatAck, null);
      // Sessions are not kept, so a resume has nothing to resume: the client must identify afresh.
      else if (frame.op === GatewayOp.Resume) send(session, GatewayOp.InvalidSession, false);
    });
    send(session, GatewayOp.Hello, { heartbeat_interval: HEARTBEAT_INTERVAL_MS });
  });

  const sessionForShard = (shardId: number): GatewaySession => {
    const session = [...sessions].find((candidate) => candidate.shard?.[0] === shardId);
    if (!session) throw new Error(`No gateway connection holds shard ${shardId}: log the client in (and wait for ClientReady) first`);
    return session;
  };

  /** The shard count the client identified with (it may differ from what the fake recommends). */
  const identifiedShardCount = (): number => {
    const identified = [...sessions].find((session) => session.shard);
    if (!identified?.shard) throw new Error('No gateway connection has identified yet: log the client in (and wait for ClientReady) first');
    return identified.shard[1];
  };

  const author = (id: string, name?: string) => ({ id, username: name ?? `user-${id}`, discriminator: '0', global_name: name ?? null, avatar: null });

  const dispatchInteraction = (interaction: Record<string, unknown>) => {
    const guildId = interaction.guild_id as string | undefined;
    send(sessionForShard(guildId ? shardForGuild(guildId, identifiedShardCount()) : 0), GatewayOp.Dispatch, interaction, 'INTERACTION_CREATE');
  };

  const slashCommand = ({ channelId, dm, userId, userName, command, options: values }: SlashCommandInput) => {
    const user = author(userId, userName);
    let channel = channels.get(channelId);
    if (dm) {
      channel = { id: channelId, type: CHANNEL_TYPE.DM, recipients: [user], last_message_id: null };
      channels.set(channelId, channel);
    }
    if (!channel) throw new Error(`Channel ${channelId} is in no configured guild: configure it, or pass dm: true`);
    const guildId = channel.guild_id;
    const registered = [...(commandScopes.get('') ?? []), ...(guildId ? (commandScopes.get(guildId) ?? []) : [])].find(
      (candidate) => candidate.name === command && candidate.type === 1 && (guildId || !candidate.contexts || candidate.contexts.includes(1)),
    );
    if (!registered) throw new Error(`/${command} is not registered ${guildId ? `globally or in guild ${guildId}` : 'for DMs'}: Discord would not offer it there`);
    const id = nextId();
    const token = `interaction-token-${id}`;
    interactions.set(id, { token, channelId, ...(guildId && { guildId }), answered: false });
    const joinedAt = new Date().toISOString();
    const interaction = {
      id,
      application_id: applicationId,
      type: 2,
      token,
      version: 1,
      data: {
        id: registered.id,
        name: registered.name,
        type: 1,
        ...(values && { options: Object.entries(values).map(([name, value]) => ({ name, type: 3, value })) }),
        ...(guildId && commandScopes.get(guildId)?.includes(registered) && { guild_id: guildId }),
      },
      channel_id: channelId,
      channel,
      ...(guildId
        ? { guild_id: guildId, guild_locale: 'en-US', member: { user, roles: [], joined_at: joinedAt, deaf: false, mute: false, flags: 0, nick: null, permissions: '1071698660929' } }
        : { user }),
      app_permissions: '1071698660929',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId ?? '0' },
      context: guildId ? 0 : 1,
    };
    dispatchInteraction(interaction);
    return interaction;
  };

  return {
    apiUrl: `${http.url}/api`,
    botUserId,
    messages,
    edits,
    typing,
    gatewayCloses,
    applicationId,
    commandRegistrations,
    registeredCommands: (guildId) => [...(commandScopes.get(guildId ?? '') ?? [])],
    interactionResponses,
    slashCommand,
    redeliverInteraction: dispatchInteraction,
    failCalls: (cue) => failures.add(cue),
    sendMessageCreate({ channelId, guildId, authorId, authorName, content, mentionsBot, threadId }) {
      const resolvedGuildId = guildId ?? channels.get(channelId)?.guild_id;
      if (!resolvedGuildId) throw new Error(`Channel ${channelId} is in no configured guild: pass guildId, or use dmMessage for a DM`);
      const session = sessionForShard(shardForGuild(resolvedGuildId, identifiedShardCount()));
      if (threadId && !channels.has(threadId)) {
        const thread: DiscordChannel = {
          id: threadId, type: CHANNEL_TYPE.PublicThread, guild_id: resolvedGuildId, parent_id: channelId, owner_id: authorId, name: `thread-${threadId}`,
          thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
          message_count: 0, member_count: 1, rate_limit_per_user: 0, flags: 0,
        };
        channels.set(threadId, thread);
        send(session, GatewayOp.Dispatch, { ...thread, newly_created: true }, 'THREAD_CREATE');
      }
      const mention = `<@${botUserId}>`;
      const message = messageObject({
        channelId: threadId ?? channelId,
        guildId: resolvedGuildId,
        author: author(authorId, authorName),
        content: mentionsBot && !content.includes(mention) ? `${mention} ${content}` : content,
        mentions: mentionsBot ? [botUser] : [],
      });
      send(session, GatewayOp.Dispatch, message, 'MESSAGE_CREATE');
      return message;
    },
    dmMessage({ channelId, authorId, authorName, content }) {
      const user = author(authorId, authorName);
      channels.set(channelId, { id: channelId, type: CHANNEL_TYPE.DM, recipients: [user], last_message_id: null });
      const message = { ...messageObject({ channelId, author: user, content }), channel_type: CHANNEL_TYPE.DM };
      send(sessionForShard(0), GatewayOp.Dispatch, message, 'MESSAGE_CREATE');
      return message;
    },
    dispatchMessage(message) {
      const guildId = typeof message.guild_id === 'string' ? message.guild_id : undefined;
      if (!guildId && !channels.has(message.channel_id)) {
        channels.set(message.channel_id, { id: message.channel_id, type: CHANNEL_TYPE.DM, recipients: [message.author], last_message_id: null });
      }
      send(sessionForShard(guildId ? shardForGuild(guildId, identifiedShardCount()) : 0), GatewayOp.Dispatch, message, 'MESSAGE_CREATE');
    },
    connectedShards() {
      return [...sessions].flatMap((session) => (session.shard ? [session.shard[0]] : [])).sort((a, b) => a - b);
    },
    addAttachment(bytes, file) {
      const id = nextId();
      const path = `/attachments/${file.channelId}/${id}/${encodeURIComponent(file.filename)}`;
      const hm = `${(++attachmentCount).toString(16)}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      cdnFiles.set(path, { bytes, contentType: file.contentType, hm });
      const expires = Math.floor(Date.now() / 1000) + 86_400;
      const url = `${http.url}${path}?ex=${expires.toString(16)}&is=${(expires - 86_400).toString(16)}&hm=${hm}&`;
      return {
        id,
        filename: file.filename,
        size: file.declaredSize ?? bytes.length,
        url,
        proxy_url: url,
        content_type: file.contentType,
        ...(file.duration !== undefined ? { duration_secs: file.duration, waveform: 'AAAA' } : {}),
      };
    },
    get cdnDownloads() {
      return cdnDownloads;
    },
    async close() {
      await closeWebSocketServer(gateway);
      await http.close();
    },
  };
}
