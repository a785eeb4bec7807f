import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { FailureCues, type FailureCue } from './failure-cues.js';
import { listenOnLoopback, readRequestParams, sendJson, type RequestParams } from './http-json.js';

/*
 * A fake Slack: the Web API (`POST /api/<method>`), a Socket Mode WebSocket, and a signed Events API sender, so a
 * real @slack/bolt App can be driven end to end on 127.0.0.1.
 *
 * The first section holds small pieces the Discord and WhatsApp fakes share with this one.
 */

// ---------------------------------------------------------------------------------------------------------------
// Shared with the other fakes

/**
 * What a fake recorded, in arrival order. It is a plain array for assertions, and `waitFor` lets a test await an
 * entry the SDK produces asynchronously instead of sleeping.
 */
export class RecordedList<T> extends Array<T> {
  // map/filter/slice return plain arrays: they are snapshots, nobody records into them.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  // A #private field stays out of equality checks, so `expect(list).toEqual([...])` compares entries only.
  #waiters: Array<{ matches: (item: T) => boolean; resolve: (item: T) => void }> = [];

  record(item: T): void {
    this.push(item);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.matches(item)) return true;
      waiter.resolve(item);
      return false;
    });
  }

  /** The first entry (already recorded or still to come) that `matches`. */
  waitFor(matches: (item: T) => boolean = () => true): Promise<T> {
    const found = this.find(matches);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ matches, resolve }));
  }
}

export function hmacSha256Hex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export interface PostedResponse {
  status: number;
  body: string;
  /** The answer's Retry-After header; present only when it had one (a 503 while the store is away). */
  retryAfter?: string;
}

/** The parts of a webhook's answer that tests look at. */
export async function postedResponse(response: Response): Promise<PostedResponse> {
  const retryAfter = response.headers.get('retry-after');
  return { status: response.status, body: await response.text(), ...(retryAfter !== null && { retryAfter }) };
}

/** POSTs an already-serialised JSON body (signatures cover these exact bytes) the way a platform's webhook would. */
export async function postRawJson(url: string, rawBody: string, headers: Record<string, string>): Promise<PostedResponse> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: rawBody });
  return postedResponse(response);
}

/**
 * ws leaves accepted sockets open on `close()`, and upgraded sockets escape `closeAllConnections()`. Each socket gets
 * a proper close handshake: a client that is itself mid-shutdown would report a dropped connection as an error.
 */
export async function closeWebSocketServer(wss: WebSocketServer): Promise<void> {
  await Promise.all(
    [...wss.clients].map((socket) => {
      if (socket.readyState === socket.CLOSED) return undefined;
      const closed = once(socket, 'close');
      socket.close(1001, 'fake server shutting down');
      return closed;
    }),
  );
  await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
}

// ---------------------------------------------------------------------------------------------------------------
// Slack

export interface FakeSlackOptions {
  botToken: string;
  signingSecret: string;
  /** The `xapp-` token Socket Mode uses for `apps.connections.open`. */
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  /** Display names `users.info` answers with; unknown users get `user-<id>`. */
  userNames?: Record<string, string>;
}

export interface SlackPost {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  params: RequestParams;
}

export interface SlackUpdate {
  channel: string;
  ts: string;
  text: string;
}

/** A bot message as the channel shows it now: its text after the latest `chat.update`. */
export interface SlackChannelMessage {
  ts: string;
  threadTs?: string;
  text: string;
}

export interface SlackInnerEvent {
  type: string;
  channel: string;
  [field: string]: unknown;
}

export interface SlackEventEnvelope {
  type: 'event_callback';
  token: string;
  team_id: string;
  api_app_id: string;
  event_id: string;
  event_time: number;
  event: SlackInnerEvent & { ts: string };
  authorizations: Array<Record<string, unknown>>;
  is_ext_shared_channel: boolean;
}

export interface SendEventOptions {
  /** Marks the delivery as Slack's N-th retry (`x-slack-retry-num`). */
  retryNum?: number;
  retryReason?: string;
  /** Unix seconds to sign with; an old one makes the request stale. */
  timestamp?: number;
  badSignature?: boolean;
}

/** A slash command's payload, as Slack sends it (form fields over HTTP, the same fields as JSON over Socket Mode). */
export interface SlashCommandPayload {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  /** Unique to this invocation. */
  trigger_id: string;
}

export interface SocketModeAck {
  envelopeId: string;
  payload?: unknown;
}

/**
 * A Web API refusal: `{ok:false, error}` with HTTP 200 as Slack sends its errors, or with another `status`
 * (429 carries `Retry-After: retryAfter` seconds; 5xx is Slack's own trouble).
 */
export interface SlackErrorAnswer {
  /** Slack's error code, e.g. `channel_not_found`, `cant_update_message`, `ratelimited`. */
  error: string;
  status?: number;
  retryAfter?: number;
}

export interface FakeSlack {
  /** `http://127.0.0.1:P/api/`: pass as `clientOptions.slackApiUrl`. */
  apiUrl: string;
  teamId: string;
  botUserId: string;
  appToken: string;
  posts: RecordedList<SlackPost>;
  updates: RecordedList<SlackUpdate>;
  socketAcks: RecordedList<SocketModeAck>;
  messagesIn(channel: string, threadTs?: string): SlackChannelMessage[];
  /**
   * Makes the next `times` (default 1) calls of the Web API `method` (in `chatId`, the `channel` parameter, when
   * given) answer `error`, e.g. `failCalls({ method: 'chat.postMessage', error: { error: 'not_in_channel' } })`.
   */
  failCalls(cue: FailureCue<SlackErrorAnswer>): void;
  appMention(input: { channel: string; user: string; text: string; threadTs?: string }): SlackEventEnvelope;
  directMessage(input: { channel: string; user: string; text: string }): SlackEventEnvelope;
  /** Signs `body` with the signing secret and POSTs it to the app's events URL, as Slack does. */
  sendEvent(eventsUrl: string, body: object, options?: SendEventOptions): Promise<PostedResponse>;
  /**
   * Serves `bytes` as a file shared in Slack, at `/files-pri/<team>-<id>/download/<name>` (a Slack file URL's path)
   * to the bot token only (anything else gets Slack's sign-in page, 200 text/html); returns the event's `files[]`
   * entry for it (`url_private` / `url_private_download` on this fake).
   */
  addFile(bytes: Buffer, file: { id: string; name: string; mimetype: string; subtype?: string; declaredSize?: number }): Record<string, unknown>;
  /** The fake's origin: fixtures' `https://files.slack.com` URLs rewritten to it are served (see `addFileAt`). */
  fileOrigin: string;
  /** Serves `bytes` at a file URL's path (`/files-pri/…`), as `addFile` does. */
  addFileAt(path: string, bytes: Buffer, mimetype: string): void;
  /** File paths downloaded with the bot token, in order. */
  readonly fileDownloads: readonly string[];
  /** Pushes an event envelope over Socket Mode; resolves with the app's ack. */
  pushSocketEvent(body: SlackEventEnvelope): Promise<SocketModeAck>;
  /** Builds (does not send) what Slack sends when a user runs `command` (default `/threadline`) with `text`. */
  slashCommand(input: { channel: string; user: string; text: string; command?: string; userName?: string }): SlashCommandPayload;
  /** Signs and POSTs a slash command form-encoded, as Slack does, to the app's request URL; the answer is the app's response. */
  sendSlashCommand(url: string, payload: SlashCommandPayload, options?: SendEventOptions): Promise<PostedResponse>;
  /** Pushes a `slash_commands` envelope over Socket Mode; resolves with the app's ack (its payload is the response). */
  pushSocketSlashCommand(payload: SlashCommandPayload): Promise<SocketModeAck>;
  close(): Promise<void>;
}

const SOCKET_MODE_PATH = '/socket-mode';

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0FAKETEAM';
  const botUserId = options.botUserId ?? 'U0FAKEBOT';
  const appToken = options.appToken ?? 'xapp-fake-app-token';
  const botId = 'B0FAKEBOT';
  const appId = 'A0FAKEAPP';
  const posts = new RecordedList<SlackPost>();
  const updates = new RecordedList<SlackUpdate>();
  const socketAcks = new RecordedList<SocketModeAck>();
  const failures = new FailureCues<SlackErrorAnswer>();
  let eventCounter = 0;
  let tsCounter = 0;
  let triggerCounter = 0;
  const startSeconds = Math.floor(Date.now() / 1000);

  // Slack timestamps are unique per channel and sort in posting order; a counter in the micro part keeps both true.
  const nextTs = (): string => `${startSeconds}.${String(++tsCounter).padStart(6, '0')}`;

  const apiMethods: Record<string, (params: RequestParams) => Record<string, unknown>> = {
    'auth.test': () => ({ url: 'https://fake.slack.test/', team: 'Fake Team', user: 'threadline', team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false }),
    'chat.postMessage': (params) => {
      const channel = stringParam(params, 'channel');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const text = stringParam(params, 'text') ?? '';
      if (!text && params.blocks === undefined) return { ok: false, error: 'no_text' };
      const threadTs = stringParam(params, 'thread_ts');
      const ts = nextTs();
      posts.record({ channel, ts, threadTs, text, params });
      return { channel, ts, message: { type: 'message', user: botUserId, bot_id: botId, text, ts, ...(threadTs && { thread_ts: threadTs }) } };
    },
    'chat.update': (params) => {
      const channel = stringParam(params, 'channel') ?? '';
      const ts = stringParam(params, 'ts') ?? '';
      if (!posts.some((post) => post.channel === channel && post.ts === ts)) return { ok: false, error: 'message_not_found' };
      const text = stringParam(params, 'text') ?? '';
      updates.record({ channel, ts, text });
      return { channel, ts, text };
    },
    'conversations.info': (params) => {
      const id = stringParam(params, 'channel');
      if (!id) return { ok: false, error: 'channel_not_found' };
      const isIm = id.startsWith('D');
      return { channel: { id, name: isIm ? undefined : `channel-${id.toLowerCase()}`, is_channel: !isIm, is_im: isIm, is_private: false, is_archived: false } };
    },
    'users.info': (params) => {
      const id = stringParam(params, 'user');
      if (!id) return { ok: false, error: 'user_not_found' };
      const name = options.userNames?.[id] ?? `user-${id.toLowerCase()}`;
      return { user: { id, team_id: teamId, name, real_name: name, is_bot: id === botUserId, profile: { display_name: name, real_name: name } } };
    },
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    const params = await readRequestParams(req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? stringParam(params, 'token');
    if (method === 'apps.connections.open') {
      if (bearer !== appToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      return sendJson(res, 200, { ok: true, url: `ws://127.0.0.1:${http.port}${SOCKET_MODE_PATH}?ticket=${randomUUID()}` });
    }
    if (bearer !== options.botToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    const answer = apiMethods[method];
    if (!answer) return sendJson(res, 200, { ok: false, error: 'unknown_method' });
    const cued = failures.take(method, params.channel);
    if (cued) {
      if (cued.retryAfter !== undefined) res.setHeader('retry-after', String(cued.retryAfter));
      return sendJson(res, cued.status ?? 200, { ok: false, error: cued.error });
    }
    sendJson(res, 200, { ok: true, ...answer(params) });
  };

  const files = new Map<string, { bytes: Buffer; mimetype: string }>();
  const fileDownloads: string[] = [];
  const serveFile = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (req.method !== 'GET' || !path.startsWith('/files-pri/')) return false;
    const known = files.get(path);
    if (req.headers.authorization !== `Bearer ${options.botToken}`) {
      // Slack's answer to a file URL without a valid token: its sign-in page.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>');
    } else if (!known) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('file not found');
    } else {
      fileDownloads.push(path);
      res.writeHead(200, { 'content-type': known.mimetype, 'content-length': known.bytes.length });
      res.end(known.bytes);
    }
    return true;
  };

  const http = await listenOnLoopback((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://fake').pathname;
    if (serveFile(req, res, pathname)) return;
    const method = /^\/api\/([\w.]+)$/.exec(pathname)?.[1];
    if (req.method !== 'POST' || !method) return sendJson(res, 404, { ok: false, error: 'not_found' });
    handleApi(req, res, method).catch((err: unknown) => sendJson(res, 400, { ok: false, error: 'invalid_arguments', detail: String(err) }));
  });

  const socketMode = new WebSocketServer({ server: http.server, path: SOCKET_MODE_PATH });
  socketMode.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { envelope_id?: string; payload?: unknown };
      if (frame.envelope_id) socketAcks.record({ envelopeId: frame.envelope_id, payload: frame.payload });
    });
    socket.send(JSON.stringify({ type: 'hello', num_connections: socketMode.clients.size, connection_info: { app_id: appId }, debug_info: { host: 'fake-slack' } }));
  });

  const envelope = (event: SlackInnerEvent): SlackEventEnvelope => {
    const ts = nextTs();
    return {
      type: 'event_callback',
      token: 'fake-verification-token',
      team_id: teamId,
      api_app_id: appId,
      event_id: `Ev${String(++eventCounter).padStart(8, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { ...event, ts, event_ts: ts, team: teamId },
      authorizations: [{ enterprise_id: null, team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
  };

  return {
    apiUrl: `${http.url}/api/`,
    teamId,
    botUserId,
    appToken,
    posts,
    updates,
    socketAcks,
    failCalls: (cue) => failures.add(cue),
    messagesIn(channel, threadTs) {
      return posts
        .filter((post) => post.channel === channel && (threadTs === undefined || post.threadTs === threadTs))
        .map((post) => ({
          ts: post.ts,
          threadTs: post.threadTs,
          text: updates.filter((update) => update.channel === channel && update.ts === post.ts).at(-1)?.text ?? post.text,
        }));
    },
    appMention({ channel, user, text, threadTs }) {
      const mention = `<@${botUserId}>`;
      return envelope({
        type: 'app_mention',
        channel,
        user,
        text: text.includes(mention) ? text : `${mention} ${text}`,
        client_msg_id: randomUUID(),
        ...(threadTs && { thread_ts: threadTs }),
      });
    },
    directMessage({ channel, user, text }) {
      return envelope({ type: 'message', channel_type: 'im', channel, user, text, client_msg_id: randomUUID() });
    },
    slashCommand({ channel, user, text, command, userName }) {
      return {
        token: 'fake-verification-token',
        team_id: teamId,
        team_domain: 'fake-team',
        channel_id: channel,
        channel_name: channel.startsWith('D') ? 'directmessage' : `channel-${channel.toLowerCase()}`,
        user_id: user,
        user_name: userName ?? options.userNames?.[user]?.toLowerCase() ?? `user-${user.toLowerCase()}`,
        command: command ?? '/threadline',
        text,
        api_app_id: appId,
        is_enterprise_install: 'false',
        response_url: `http://127.0.0.1:${http.port}/commands/${teamId}/${++triggerCounter}`,
        trigger_id: `${startSeconds}.${triggerCounter}.${randomUUID().replace(/-/g, '')}`,
      };
    },
    sendSlashCommand(url, payload, sendOptions = {}) {
      const rawBody = new URLSearchParams(Object.entries(payload)).toString();
      return postSigned(url, rawBody, 'application/x-www-form-urlencoded', sendOptions);
    },
    pushSocketSlashCommand(payload) {
      return pushEnvelope('slash_commands', payload, true);
    },
    sendEvent(eventsUrl, body, sendOptions = {}) {
      return postSigned(eventsUrl, JSON.stringify(body), 'application/json', sendOptions);
    },
    pushSocketEvent(body) {
      return pushEnvelope('events_api', body, false);
    },
    addFile(bytes, file) {
      const base = `/files-pri/${teamId}-${file.id}`;
      const name = encodeURIComponent(file.name.toLowerCase());
      files.set(`${base}/download/${name}`, { bytes, mimetype: file.mimetype });
      files.set(`${base}/${name}`, { bytes, mimetype: file.mimetype });
      return {
        id: file.id,
        name: file.name,
        title: file.name,
        mimetype: file.mimetype,
        ...(file.subtype ? { subtype: file.subtype } : {}),
        mode: 'hosted',
        size: file.declaredSize ?? bytes.length,
        url_private: `${http.url}${base}/${name}`,
        url_private_download: `${http.url}${base}/download/${name}`,
      };
    },
    fileOrigin: http.url,
    addFileAt(path, bytes, mimetype) {
      files.set(path, { bytes, mimetype });
    },
    get fileDownloads() {
      return fileDownloads;
    },
    async close() {
      await closeWebSocketServer(socketMode);
      await http.close();
    },
  };

  /** POSTs `rawBody` signed as Slack signs its requests (over the exact bytes sent). */
  async function postSigned(url: string, rawBody: string, contentType: string, sendOptions: SendEventOptions): Promise<PostedResponse> {
    const timestamp = String(sendOptions.timestamp ?? Math.floor(Date.now() / 1000));
    const secret = sendOptions.badSignature ? `not-${options.signingSecret}` : options.signingSecret;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${hmacSha256Hex(secret, `v0:${timestamp}:${rawBody}`)}`,
    };
    if (sendOptions.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(sendOptions.retryNum);
      headers['x-slack-retry-reason'] = sendOptions.retryReason ?? 'http_timeout';
    }
    return postedResponse(await fetch(url, { method: 'POST', headers, body: rawBody }));
  }

  /** Sends an envelope to a connected Socket Mode client; resolves with its ack. */
  function pushEnvelope(type: string, payload: unknown, acceptsResponsePayload: boolean): Promise<SocketModeAck> {
    const open = [...socketMode.clients].find((socket) => socket.readyState === socket.OPEN);
    if (!open) {
      return Promise.reject(new Error('No Socket Mode client is connected: start the App with socketMode: true and appToken first'));
    }
    const envelopeId = randomUUID();
    open.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: acceptsResponsePayload, retry_attempt: 0, retry_reason: '' }));
    return socketAcks.waitFor((ack) => ack.envelopeId === envelopeId);
  }
}

function stringParam(params: RequestParams, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
