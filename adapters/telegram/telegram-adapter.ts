import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Logger } from '../../src/log.js';
import type { MenuCommand } from '../../src/runner/commands.js';
import { MediaTooLargeError } from '../../src/runner/media.js';
import type { Attachment, DeliveryFault, InboundSink, PlatformAdapter, ReplyTarget, SendLimit, SendScope } from '../../src/runner/platform-adapter.js';
import { PlatformStartError } from '../../src/runner/platform-start-error.js';
import type { Lease, LeaseProvider } from '../../src/runner/lease-provider.js';
import { downloadBytes } from '../shared/download.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { recordInbound } from '../shared/record-inbound.js';
import { refuseUnusable, UnusableEventError } from '../shared/unusable-event.js';
import { MalformedPayloadError, webhookHandler } from '../shared/webhook-endpoint.js';
import { constantTimeEqual, listenForWebhooks, type WebhookServer } from '../shared/webhook-http.js';
import { classifyTelegramError } from './classify-error.js';
import { normalizeUpdate, type TelegramBotIdentity } from './normalize-update.js';

/** Telegram's limit for one message, in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Telegram's published limits (the Bot FAQ): about 30 messages a second per bot, one a second in a chat (short
 * bursts allowed), 20 a minute in a group. Edits count like messages. `--send-limit bot=…|private=…|group=…`.
 */
export const TELEGRAM_SEND_LIMITS: Readonly<Record<'bot' | 'private' | 'group', SendLimit>> = {
  bot: { ratePerSec: 30, burst: 10 },
  private: { ratePerSec: 1, burst: 3 },
  group: { ratePerSec: 20 / 60, burst: 3 },
};
const STANDBY_RETRY_MS = 2_000;

export type TelegramReceiveMode =
  | { kind: 'polling'; leases?: LeaseProvider }
  | { kind: 'webhook'; url: string; port: number; secret: string; host?: string };

export interface TelegramAdapterOptions {
  token: string;
  /** Bot API base (default Telegram's); tests and self-hosted Bot API servers set it. */
  apiRoot?: string;
  receive: TelegramReceiveMode;
  logger: Logger;
}


/**
 * Telegram through telegraf. Polling: one worker polls at a time (a lease in the store); the others stand by and
 * take over when the poller dies; updates it did not acknowledge come again and are de-duplicated by the inbox.
 * Webhook: any number of workers behind a load balancer, each checking Telegram's secret token.
 */
export class TelegramAdapter implements PlatformAdapter {
  readonly platform = 'telegram';
  readonly textLimit = TELEGRAM_TEXT_LIMIT;
  readonly sendLimits = TELEGRAM_SEND_LIMITS;
  private readonly bot: Telegraf;
  private me?: TelegramBotIdentity;
  private stopped = false;
  private polling?: Promise<void>;
  private lease?: Lease;
  private server?: WebhookServer;
  private readonly recording = new KeyedSerialQueue();
  /** Polling: why this worker neither polls nor stands by for the one that does (undefined: it does one or the other). */
  private pollProblem: string | undefined = 'not started';

  constructor(private readonly options: TelegramAdapterOptions) {
    // webhookReply off: every call is a real API call that can be checked and retried.
    this.bot = new Telegraf(options.token, { telegram: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), webhookReply: false } });
  }

  /** The bot's user id, once `identify()` has resolved: its runner's inbox queue is `telegram:<bot id>`. */
  get botId(): string | undefined {
    return this.me && String(this.me.id);
  }

  /** The bot's identity (getMe); a bad token fails here with one line. */
  async identify(): Promise<TelegramBotIdentity> {
    if (this.me) return this.me;
    try {
      const me = await this.bot.telegram.getMe();
      this.me = { id: me.id, username: me.username };
      return this.me;
    } catch (error) {
      const status = (error as { response?: { error_code?: number } }).response?.error_code;
      if (status === 401 || status === 404) {
        throw new PlatformStartError('Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN / --token (from @BotFather)', 'credentials', { cause: error });
      }
      const where = this.options.apiRoot ? ` at ${new URL(this.options.apiRoot).host}` : '';
      throw new PlatformStartError(`could not reach the Telegram Bot API${where}: ${(error as Error).message}`, 'unreachable', { cause: error });
    }
  }

  async start(inbox: InboundSink): Promise<void> {
    const me = await this.identify();
    // In the background: the menu is a convenience, and receiving must not wait for it.
    void this.setCommandMenu(inbox.commands ?? []);
    if (this.options.receive.kind === 'webhook') {
      // A failure answers 5xx and Telegram sends the update again.
      await this.startWebhook(this.options.receive, async (update) => {
        await this.recordingOf(update, me, inbox)?.();
        void this.answerCallbackQuery(update);
      });
    } else {
      // telegraf hands a polled batch to its handlers all at once (Promise.all): recorded concurrently, two
      // messages could enter the inbox in the wrong order, so they are recorded one by one, in update order (the
      // order Telegram numbered them, across chats too).
      // telegraf acknowledges a batch even when a handler fails, so a failed recording is retried (the next
      // getUpdates, which acknowledges, waits for it) instead of being reported.
      this.bot.on(['message', 'callback_query'], (ctx) => {
        const record = this.recordingOf(ctx.update, me, inbox);
        if (!record) return this.answerCallbackQuery(ctx.update);
        const subject = { platform: this.platform, eventId: String(ctx.update.update_id) };
        return this.recording.run('updates', async () => {
          await recordInbound(record, subject, { logger: this.options.logger, stopping: () => this.stopped });
          void this.answerCallbackQuery(ctx.update);
        });
      });
      void this.pollWhenLeader(this.options.receive.leases);
    }
  }

  /**
   * The menu Telegram clients show on "/": the runner's commands, except those that take text (`/ask`: on Telegram
   * any plain message asks). `setMyCommands` replaces the whole list, so every worker setting it at start is
   * harmless; a failure is a warning (typed commands work without the menu), never a reason not to start.
   */
  private async setCommandMenu(commands: readonly MenuCommand[]): Promise<void> {
    const menu = commands.filter((command) => !command.text).map((command) => ({ command: command.name, description: command.description }));
    if (menu.length === 0) return;
    try {
      await this.bot.telegram.setMyCommands(menu);
      this.options.logger.info({ commands: menu.map((entry) => entry.command) }, 'Telegram command menu set');
    } catch (error) {
      // Telegram's own description only: a network error's message holds the URL, and the URL the token.
      const said = (error as { response?: { description?: string } }).response?.description;
      this.options.logger.warn(
        { reason: said ?? (error as { code?: string }).code ?? 'no answer from the Bot API' },
        'could not set the Telegram command menu (setMyCommands); the commands still work when typed',
      );
    }
  }

  /** What recording an update takes: receiving its message, refusing it as unusable, or nothing (not for the bot). */
  private recordingOf(update: Update, me: TelegramBotIdentity, inbox: InboundSink): (() => Promise<unknown>) | undefined {
    try {
      const message = normalizeUpdate(update, me);
      return message && (() => inbox.receive(message));
    } catch (error) {
      if (!(error instanceof UnusableEventError)) throw error;
      return () => refuseUnusable(inbox, { platform: this.platform, botId: String(me.id) }, error.event);
    }
  }

  /**
   * A tap on an inline keyboard button keeps a spinner on the user's button until the query is answered: answered
   * (with nothing to show) once the tap is recorded, or at once when it is not for the bot. A failure (the query
   * expired) costs nothing but the spinner.
   */
  private async answerCallbackQuery(update: Update): Promise<void> {
    if (!('callback_query' in update) || typeof update.callback_query?.id !== 'string') return;
    try {
      await this.bot.telegram.answerCbQuery(update.callback_query.id);
    } catch (error) {
      this.options.logger.debug({ err: error, updateId: update.update_id }, 'could not answer a callback query');
    }
  }

  private async pollWhenLeader(leases: LeaseProvider | undefined): Promise<void> {
    const name = `telegram-poll:${this.me!.id}`;
    let announced = false;
    while (!this.stopped) {
      let lease: Lease | null | undefined;
      try {
        lease = leases ? await leases.tryAcquireLease(name) : undefined;
      } catch (error) {
        // The database is away (not another worker polling): try again until it answers.
        this.pollProblem = 'cannot ask the database which worker polls Telegram';
        this.options.logger.warn({ err: error }, 'could not ask the database who polls Telegram; trying again shortly');
        await new Promise((r) => setTimeout(r, STANDBY_RETRY_MS));
        continue;
      }
      if (lease === null) {
        this.pollProblem = undefined;
        if (!announced) this.options.logger.info('another worker is polling Telegram: standing by to take over');
        announced = true;
        await new Promise((r) => setTimeout(r, STANDBY_RETRY_MS));
        continue;
      }
      // Stopped while the lease was being taken: no launch may begin now.
      if (this.stopped) {
        await lease?.release();
        break;
      }
      this.lease = lease;
      this.options.logger.info('polling Telegram for updates');
      let failed = false;
      this.pollProblem = undefined;
      this.polling = this.bot.launch({ dropPendingUpdates: false }).catch((error: unknown) => {
        failed = true;
        // Telegram's own description only: a network error's message holds the URL, and the URL the token.
        const said = (error as { response?: { description?: string } }).response?.description;
        this.pollProblem = `polling stopped on an error${said ? ` (${said})` : ''}, starting again shortly`;
        this.options.logger.error({ err: error }, 'Telegram polling stopped on an error; unacknowledged updates will come again');
      });
      // A lost lease (its connection dropped) means another worker may poll now: stop at once.
      const lost = await Promise.race([this.polling.then(() => false), lease ? lease.lost.then(() => true) : new Promise<never>(() => {})]);
      if (lost && !this.stopped) {
        this.pollProblem = 'lost the polling lease with its database connection: taking it again';
        this.options.logger.warn('lost the Telegram polling lease (its database connection dropped): stopping polling, then taking it again');
        await this.stopPolling('lease lost');
      }
      await this.polling;
      await lease?.release();
      announced = false;
      // Polling failed (Telegram or the network away): give the lease a rest before trying again.
      if (failed && !this.stopped) await new Promise((r) => setTimeout(r, STANDBY_RETRY_MS));
    }
  }

  /**
   * Ends the launch in progress, and resolves once it has ended. telegraf ignores (or refuses: "Bot is not
   * running!") a stop that comes while the launch is still in its getMe/deleteWebhook calls, and then polls
   * anyway: so it is asked again until the launch ends.
   */
  private async stopPolling(reason: string): Promise<void> {
    const launch = this.polling;
    if (!launch) return;
    let ended = false;
    void launch.finally(() => (ended = true));
    while (!ended) {
      try {
        this.bot.stop(reason);
      } catch {
        // Not polling yet: asked again below.
      }
      await Promise.race([launch, new Promise((r) => setTimeout(r, 100))]);
    }
  }

  private async startWebhook(receive: Extract<TelegramReceiveMode, { kind: 'webhook' }>, accept: (update: Update) => Promise<void>): Promise<void> {
    const path = new URL(receive.url).pathname;
    this.server = await listenForWebhooks(
      webhookHandler<Update>({
        what: 'a Telegram update',
        path,
        verify: (headers) => constantTimeEqual(String(headers['x-telegram-bot-api-secret-token'] ?? ''), receive.secret),
        parse: (json) => {
          if (typeof json !== 'object' || json === null || typeof (json as Update).update_id !== 'number') throw new MalformedPayloadError('no update_id');
          return json as Update;
        },
        // Not recorded: Telegram retries a 5xx, so the update is not lost.
        record: accept,
        logger: this.options.logger,
      }),
      receive.port,
      receive.host,
    );
    await this.bot.telegram.setWebhook(receive.url, { secret_token: receive.secret });
    this.options.logger.info({ path, port: this.port }, 'receiving Telegram updates by webhook');
  }

  /** The webhook server's port (useful with port 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Ready while polling, standing by for the worker that polls, or with the webhook server listening. */
  readiness(): string | undefined {
    if (this.stopped) return 'stopped';
    if (this.options.receive.kind === 'webhook') return this.server?.listening ? undefined : 'the webhook server is not listening';
    return this.pollProblem;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopPolling('shutdown');
    await this.lease?.release();
    await this.server?.close();
  }

  /**
   * getFile, then the bytes at `{apiRoot}/file/bot<token>/<file_path>` (a path Telegram keeps for at least an hour:
   * the runner stores the bytes, so a retry never needs it again). Telegram gives bots files up to 20 MB.
   */
  async fetchAttachment(attachment: Attachment, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }> {
    if (!attachment.platformFileId) throw new Error(`the ${attachment.kind} has no Telegram file_id`);
    const file = await this.bot.telegram.getFile(attachment.platformFileId);
    if (file.file_size !== undefined && file.file_size > options.maxBytes) throw new MediaTooLargeError(options.maxBytes, file.file_size);
    if (!file.file_path) throw new Error(`Telegram gave no file_path for the ${attachment.kind} (over its 20 MB limit for bots?)`);
    const link = await this.bot.telegram.getFileLink(file);
    const got = await downloadBytes(link.toString(), { maxBytes: options.maxBytes, signal: options.signal, what: `the Telegram ${attachment.kind}` });
    return { bytes: got.bytes, ...(mimeFromPath(file.file_path) ?? got.mimeType ? { mimeType: mimeFromPath(file.file_path) ?? got.mimeType } : {}) };
  }

  async send(target: ReplyTarget, text: string): Promise<string> {
    const sent = await this.bot.telegram.sendMessage(target.chatId, text, {
      ...(target.threadId ? { message_thread_id: Number(target.threadId) } : {}),
    });
    return String(sent.message_id);
  }

  async edit(target: ReplyTarget, messageId: string, text: string): Promise<void> {
    try {
      await this.bot.telegram.editMessageText(target.chatId, Number(messageId), undefined, text);
    } catch (error) {
      // A retry after a crash may set the text the message already shows.
      if (!/message is not modified/.test((error as Error).message)) throw error;
    }
  }

  classifyError(error: unknown): DeliveryFault {
    return classifyTelegramError(error);
  }

  /** The bot's budget, then the chat's (a topic shares its group's): users' chat ids are positive, groups' and channels' not. */
  sendScopes(target: ReplyTarget): SendScope[] {
    const bot = `telegram:${this.botId ?? 'unknown'}`;
    const kind = /^\d+$/.test(target.chatId) ? 'private' : 'group';
    return [{ limit: 'bot', key: bot }, { limit: kind, key: `${bot}:chat:${target.chatId}` }];
  }

  async typing(target: ReplyTarget): Promise<void> {
    await this.bot.telegram.sendChatAction(target.chatId, 'typing', {
      ...(target.threadId ? { message_thread_id: Number(target.threadId) } : {}),
    });
  }
}

/** Telegram serves files as application/octet-stream; the path's extension says more (`photos/file_3.jpg`). */
function mimeFromPath(path: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  const known: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', oga: 'audio/ogg', ogg: 'audio/ogg', mp3: 'audio/mpeg', m4a: 'audio/mp4', pdf: 'application/pdf', txt: 'text/plain' };
  return ext ? known[ext] : undefined;
}
