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
export type DiscordRestMethod = 'createMessage' | 'editMessage' | 'triggerTypingIndicator';

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
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/^\/api\/v10/, '');
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

  const http = await listenOnLoopback((req, res) => {
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
      application: { id: botUserId, flags: 0 },
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

  return {
    apiUrl: `${http.url}/api`,
    botUserId,
    messages,
    edits,
    typing,
    gatewayCloses,
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
    async close() {
      await closeWebSocketServer(gateway);
      await http.close();
    },
  };
}
