import { App, webApi, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import type { Attachment, DeliveryFault, InboundSink, InboundMessage, PlatformAdapter, ReplyTarget, SendLimit, SendScope } from '../../src/runner/platform-adapter.js';
import { PlatformStartError } from '../../src/runner/platform-start-error.js';
import { downloadBytes } from '../shared/download.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { recordInbound } from '../shared/record-inbound.js';
import { refuseUnusable, UnusableEventError } from '../shared/unusable-event.js';
import { boltLogger } from './bolt-logger.js';
import { classifySlackError } from './classify-error.js';
import { markdownToMrkdwn } from './mrkdwn.js';
import { normalizeEvent, type SlackEventEnvelope, type SlackIdentity } from './normalize-event.js';
import { HttpEventsReceiver } from './http-events-receiver.js';
import { RecordFirstSocketModeReceiver } from './record-first-socket-mode-receiver.js';
import { DEFAULT_SLASH_COMMAND, isSlashCommandName, normalizeSlashCommand, slashCommandText, slashCommandUsage, type SlashCommandPayload } from './slash-command.js';

/**
 * Slack accepts 40,000 characters in `text` but truncates what it shows long before; 3,000 (the limit of a text
 * block) keeps every part readable in full.
 */
export const SLACK_TEXT_LIMIT = 3_000;
/** `chat.update` is a Tier 3 method (about 50 calls a minute per workspace): at most one edit a second per reply. */
export const SLACK_MIN_EDIT_INTERVAL_MS = 1_000;
/** `chat.postMessage`: about one message a second per channel, short bursts allowed (`--send-limit channel=…`). */
export const SLACK_SEND_LIMITS: Readonly<Record<'channel', SendLimit>> = { channel: { ratePerSec: 1, burst: 3 } };
/** A display name is looked up before the event is acknowledged, so the lookup must stay well inside Slack's 3 s. */
const NAME_LOOKUP_TIMEOUT_MS = 1_000;
/** `WebSocket.OPEN`: the Socket Mode connection's ready state while it is connected. */
const WEBSOCKET_OPEN = 1;
/** Web API error codes that mean the token itself is wrong, not that Slack is unreachable. */
const REJECTED_TOKEN_CODES = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

export type SlackReceiveMode =
  | { kind: 'http'; signingSecret: string; port: number }
  | { kind: 'socket'; appToken: string };

export interface SlackAdapterOptions {
  /** The bot token (`xoxb-…`). */
  token: string;
  /** Web API base, ending in `/api/` (default Slack's); tests and proxies set it. */
  apiUrl?: string;
  receive: SlackReceiveMode;
  logger: Logger;
  /** The slash command's name, as created in the Slack app (default `/threadline`). */
  slashCommand?: string;
}


/**
 * Slack through Bolt. HTTP mode: any number of workers behind a load balancer, on the shared webhook handler
 * (http-events-receiver.ts): each request's signature and age checked (401 otherwise), answered only after the
 * event is recorded. Socket Mode: each worker
 * holds a connection and Slack hands each event to one of them; an envelope is acknowledged once recorded.
 * Either way a redelivered event carries the same `event_id`, which the inbox answers once.
 */
export class SlackAdapter implements PlatformAdapter {
  readonly platform = 'slack';
  readonly textLimit = SLACK_TEXT_LIMIT;
  readonly minEditIntervalMs = SLACK_MIN_EDIT_INTERVAL_MS;
  readonly sendLimits = SLACK_SEND_LIMITS;
  private readonly client: webApi.WebClient;
  /** Display-name lookups happen while Slack waits for the ack: no retries, short timeout. */
  private readonly lookupClient: webApi.WebClient;
  private readonly names = new Map<string, Promise<string | undefined>>();
  /** Where the Web API is, for every client: ours, Bolt's, and Socket Mode's. */
  private readonly apiOptions: webApi.WebClientOptions;
  private readonly boltLog: BoltLogger;
  private me?: SlackIdentity;
  private app?: App;
  private httpReceiver?: HttpEventsReceiver;
  private socketReceiver?: RecordFirstSocketModeReceiver;
  /** Slash commands are acknowledged before they are recorded: recorded here, in order per channel. */
  private readonly recording = new KeyedSerialQueue();
  private stopping = false;
  /** The slash command's name (`/threadline`). */
  readonly slashCommand: string;

  constructor(private readonly options: SlackAdapterOptions) {
    this.slashCommand = options.slashCommand ?? DEFAULT_SLASH_COMMAND;
    if (!isSlashCommandName(this.slashCommand)) {
      throw new PlatformStartError(`the slash command must be a slash and up to 31 lower-case characters without spaces, as in ${DEFAULT_SLASH_COMMAND} (got "${this.slashCommand}")`, 'setup');
    }
    this.apiOptions = options.apiUrl ? { slackApiUrl: withTrailingSlash(options.apiUrl) } : {};
    this.boltLog = boltLogger(options.logger);
    const base = { ...this.apiOptions, logger: this.boltLog };
    // A rate limit is handed to the runner (classifyError: transient after Retry-After) instead of being waited
    // out inside the client, where it would hold the turn and every other call of this client.
    this.client = new webApi.WebClient(options.token, { ...base, retryConfig: { retries: 3, minTimeout: 500 }, rejectRateLimitedCalls: true });
    this.lookupClient = new webApi.WebClient(options.token, { ...base, retryConfig: { retries: 0 }, timeout: NAME_LOOKUP_TIMEOUT_MS });
  }

  /** On Slack `/new` would be Slack's own command: /help says how to reach the bot's. */
  get commandHelp(): string {
    return `On Slack: ${this.slashCommand} new, ${this.slashCommand} status, …, or ${this.slashCommand} followed by a message`;
  }

  formatText(markdown: string): string {
    return markdownToMrkdwn(markdown);
  }

  /**
   * The bot's workspace (team id), once `identify()` has resolved: sessions are `slack:<team id>:…`, and its runner's
   * inbox queue is `slack:<team id>`.
   */
  get botId(): string | undefined {
    return this.me?.teamId;
  }

  /** The bot's workspace and user id (`auth.test`); a bad token fails here with one line. */
  async identify(): Promise<SlackIdentity> {
    if (this.me) return this.me;
    try {
      const result = await this.client.auth.test();
      if (!result.team_id || !result.user_id) throw new Error('auth.test did not name the team and bot user');
      this.me = { teamId: result.team_id, botUserId: result.user_id, ...(result.bot_id ? { botId: result.bot_id } : {}) };
      return this.me;
    } catch (error) {
      throw this.startError(error, 'the bot token', 'SLACK_BOT_TOKEN / --token (the xoxb- token under OAuth & Permissions)');
    }
  }

  async start(inbox: InboundSink): Promise<void> {
    const me = await this.identify();
    const receive = this.options.receive;
    const app = new App({
      token: this.options.token,
      // Known already: Bolt then skips its own auth.test.
      botUserId: me.botUserId,
      ...(me.botId ? { botId: me.botId } : {}),
      receiver: this.makeReceiver(receive),
      clientOptions: this.apiOptions,
      logger: this.boltLog,
    });
    const accept = async ({ body }: { body: unknown }) => {
      let message;
      try {
        message = normalizeEvent(body as SlackEventEnvelope, me);
      } catch (error) {
        if (!(error instanceof UnusableEventError)) throw error;
        return refuseUnusable(inbox, { platform: this.platform, botId: me.teamId }, error.event);
      }
      if (message) await inbox.receive(await this.withUserName(message));
    };
    app.event('message', accept);
    app.event('app_mention', accept);
    app.command(this.slashCommand, async ({ command, ack }) => this.acceptSlashCommand(command, ack, me, inbox));
    // A failed record must not be acknowledged: rethrown, it becomes a 500 (HTTP) or a missing ack (Socket Mode).
    app.error(async (error) => {
      throw error;
    });
    if (receive.kind === 'http') {
      try {
        await app.start(receive.port);
      } catch (error) {
        throw new PlatformStartError(`could not listen for Slack events on port ${receive.port}: ${(error as Error).message} (choose another --port)`, 'setup', { cause: error });
      }
      this.options.logger.info({ port: this.port, path: '/slack/events' }, 'receiving Slack events over HTTP');
    } else {
      try {
        await app.start();
      } catch (error) {
        throw this.startError(error, 'the app-level token', 'SLACK_APP_TOKEN / --app-token (an xapp- token with connections:write, under Basic Information)');
      }
      this.options.logger.info('receiving Slack events over Socket Mode');
    }
    this.app = app;
  }

  /**
   * `/threadline …`: acknowledged at once (Slack allows 3 s and never sends a slash command again), with
   * `response_type: in_channel` so the channel sees the command as typed; then recorded like a message, retried
   * until it is (or the bot stops). The answer is posted in the channel (see `normalizeSlashCommand`). A command that
   * asks for nothing gets its usage, which only its user sees.
   */
  private async acceptSlashCommand(
    payload: SlashCommandPayload,
    ack: (response?: Record<string, unknown>) => Promise<void>,
    me: SlackIdentity,
    inbox: InboundSink,
  ): Promise<void> {
    const commands = inbox.commands ?? [];
    const text = slashCommandText(typeof payload.text === 'string' ? payload.text : '', commands);
    if (text === undefined) {
      await ack({ response_type: 'ephemeral', text: slashCommandUsage(this.slashCommand, commands) });
      return;
    }
    let message: InboundMessage;
    try {
      message = normalizeSlashCommand(payload, me, text);
    } catch (error) {
      if (!(error instanceof UnusableEventError)) throw error;
      await ack();
      return refuseUnusable(inbox, { platform: this.platform, botId: me.teamId }, error.event);
    }
    await ack({ response_type: 'in_channel' });
    const { logger } = this.options;
    void this.recording.run(message.chatId, () =>
      recordInbound(async () => inbox.receive(await this.withUserName(message)), message, { logger, stopping: () => this.stopping }).catch(() => {}),
    );
  }

  /** One line saying which token Slack refused, or that Slack could not be reached. */
  private startError(error: unknown, token: string, fix: string): PlatformStartError {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (REJECTED_TOKEN_CODES.has(code ?? '')) return new PlatformStartError(`Slack rejected ${token} (${code}): check ${fix}`, 'credentials', { cause: error });
    const where = this.options.apiUrl ? ` at ${new URL(this.options.apiUrl).host}` : '';
    return new PlatformStartError(`could not reach the Slack Web API${where}: ${(error as Error).message}`, 'unreachable', { cause: error });
  }

  private makeReceiver(receive: SlackReceiveMode): Receiver {
    if (receive.kind === 'http') {
      this.httpReceiver = new HttpEventsReceiver({ signingSecret: receive.signingSecret, logger: this.options.logger });
      return this.httpReceiver;
    }
    this.socketReceiver = new RecordFirstSocketModeReceiver(
      { appToken: receive.appToken, logger: this.boltLog, installerOptions: { clientOptions: this.apiOptions } },
      this.options.logger,
    );
    return this.socketReceiver;
  }

  /** In channels the model is told who said what; a failed lookup leaves the user id to name them. */
  private async withUserName(message: InboundMessage): Promise<InboundMessage> {
    if (message.isPrivate) return message;
    let name = this.names.get(message.userId);
    if (!name) {
      name = this.lookupClient.users.info({ user: message.userId }).then(
        (result) => result.user?.profile?.display_name || result.user?.real_name || result.user?.name || undefined,
        () => {
          this.names.delete(message.userId);
          return undefined;
        },
      );
      this.names.set(message.userId, name);
    }
    const userName = await name;
    return userName ? { ...message, userName } : message;
  }

  /** The HTTP server's port (useful with `--port 0`). */
  get port(): number | undefined {
    return this.httpReceiver?.port;
  }

  /** Ready while the HTTP receiver listens, or while the Socket Mode connection is open (not while it reconnects). */
  readiness(): string | undefined {
    if (!this.app) return 'not started';
    if (this.options.receive.kind === 'http') return this.httpReceiver?.listening ? undefined : 'the HTTP receiver is not listening';
    return this.socketReceiver?.client.websocket?.readyState === WEBSOCKET_OPEN ? undefined : 'the Socket Mode connection is not open (reconnecting)';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.app?.stop();
    this.app = undefined;
    await this.recording.idle();
  }

  /**
   * A shared file's bytes: its `url_private_download` (or `url_private`) with the bot token as a bearer header
   * (the app needs the `files:read` scope). The token goes only to Slack's hosts (or the configured API's).
   */
  async fetchAttachment(attachment: Attachment, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }> {
    if (!attachment.url) throw new Error(`the Slack ${attachment.kind} has no url_private`);
    const url = new URL(attachment.url);
    const apiHost = this.options.apiUrl ? new URL(this.options.apiUrl).host : undefined;
    const slackHost = url.protocol === 'https:' && /(^|\.)(slack\.com|slack-edge\.com)$/.test(url.hostname);
    if (!slackHost && url.host !== apiHost) throw new Error(`the Slack ${attachment.kind}'s URL is not on a Slack host (${url.host}): the bot token is not sent there`);
    const got = await downloadBytes(url.toString(), { maxBytes: options.maxBytes, headers: { authorization: `Bearer ${this.options.token}` }, signal: options.signal, what: `the Slack ${attachment.kind}` });
    // Without files:read (or with a wrong token) Slack answers a file URL with its sign-in page, status 200.
    if (got.mimeType?.startsWith('text/html') && !attachment.mimeType?.startsWith('text/html')) {
      throw new Error(`Slack answered the ${attachment.kind}'s URL with a web page, not the file: does the app have the files:read scope?`);
    }
    const mimeType = attachment.mimeType ?? got.mimeType;
    return { bytes: got.bytes, ...(mimeType ? { mimeType } : {}) };
  }

  async send(target: ReplyTarget, text: string): Promise<string> {
    const sent = await this.client.chat.postMessage({
      channel: target.chatId,
      text,
      ...(target.threadId ? { thread_ts: target.threadId } : {}),
    });
    if (!sent.ts) throw new Error(`chat.postMessage to ${target.chatId} returned no message ts`);
    return sent.ts;
  }

  async edit(target: ReplyTarget, messageId: string, text: string): Promise<void> {
    await this.client.chat.update({ channel: target.chatId, ts: messageId, text });
  }

  classifyError(error: unknown): DeliveryFault {
    return classifySlackError(error);
  }

  /** The channel's budget (a thread shares its channel's), for every worker of the workspace's app. */
  sendScopes(target: ReplyTarget): SendScope[] {
    return [{ limit: 'channel', key: `slack:${this.botId ?? 'unknown'}:channel:${target.chatId}` }];
  }

  /** Slack shows no "typing…" for bots outside its AI-assistant surface; the first streamed text stands in for it. */
  async typing(): Promise<void> {}
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
