import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chat, Message, MessageEntity, Update, User } from 'telegraf/types';
import { FailureCues, type FailureCue } from './failure-cues.js';
import { listenOnLoopback, readRequestParams, sendJson, type RequestParams } from './http-json.js';

/**
 * A fake Telegram Bot API server for tests, faithful to what telegraf 4.16 relies on: `POST /bot<token>/<method>`,
 * `{ok, result}` / `{ok:false, error_code, description}` answers, long-polled getUpdates with offset
 * acknowledgement and 409 for a second concurrent poll, and Telegram's own error texts for the mistakes a
 * bot can make (editing with unchanged text, empty or over-long messages, unknown message ids). Any other
 * refusal (a blocked bot, a rate limit, a 5xx) it answers on cue: see `failCalls`.
 *
 * One server can be several bots (`addBot`), each with its own token and everything Telegram keeps per bot: its
 * updates and long poll, its chats' message ids, what it sent. A call is that of the bot whose token it carries, so
 * each bot's `messages`, `edits` and `calls` are exactly what its token did.
 */

export interface FakeTelegramOptions {
  token: string;
  botId?: number;
  username?: string;
  /**
   * Upper bound for how long an empty getUpdates is held. telegraf asks for 50 s; holding that long would make
   * every stop or close in a test slow, while holding at least briefly keeps a polling bot from spinning.
   */
  maxLongPollSeconds?: number;
}

export type ChatId = number | string;

/** A message the bot sent, as it currently reads (edits applied). */
export interface SentMessage {
  chat_id: ChatId;
  message_id: number;
  text: string;
  message_thread_id?: number;
  reply_to_message_id?: number;
  parse_mode?: string;
  reply_markup?: unknown;
  deleted: boolean;
}

export interface MessageEdit {
  chat_id: ChatId;
  message_id: number;
  text: string;
  parse_mode?: string;
}

export interface ChatAction {
  chat_id: ChatId;
  action: string;
  message_thread_id?: number;
}

/** An `answerCallbackQuery` call: the bot stopped the spinner on a tapped inline keyboard button. */
export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
}

export interface ApiCall {
  method: string;
  params: RequestParams;
  /** When the call arrived (Date.now()). */
  at: number;
  /** Telegram's description when the call was answered with an error. */
  error?: string;
}

/** One entry of the bot's command menu, as `setMyCommands` set it. */
export interface BotCommandEntry {
  command: string;
  description: string;
}

export interface WebhookSettings {
  url: string;
  secret_token?: string;
}

export interface TextUpdateInput {
  chatId: number;
  userId: number;
  text: string;
  /** Defaults to `private` for positive chat ids and `supergroup` for negative ones, as on Telegram. */
  chatType?: 'private' | 'group' | 'supergroup';
  /** Forum topic id; makes the chat a forum supergroup. */
  threadId?: number;
  firstName?: string;
  /** Makes the message a reply to the last message the bot sent in this chat (and topic). */
  replyToBot?: boolean;
  /** Overrides the entities found automatically (`/cmd`, `/cmd@bot` at the start, `@username` mentions). */
  entities?: MessageEntity[];
}

/** A Bot API error as Telegram answers it: `{ok:false, error_code, description, parameters?:{retry_after}}`. */
export interface TelegramErrorAnswer {
  /** Also the HTTP status of the answer. */
  error_code: number;
  /** Telegram's own words, e.g. `Forbidden: bot was blocked by the user`. */
  description: string;
  /** Seconds to wait (Telegram sends it with 429). */
  retry_after?: number;
}

export type TextMessageUpdate = Update.MessageUpdate<Message.TextMessage>;

/** Another bot on the same server (see `FakeTelegram.addBot`). */
export interface FakeBotOptions {
  token: string;
  botId: number;
  username?: string;
}

export interface FakeTelegram {
  /** Pass as telegraf's `telegram.apiRoot`. */
  apiRoot: string;
  token: string;
  botInfo: User;
  /**
   * Another bot on this server (same `apiRoot`), with a token, id and state of its own; closing any bot closes the
   * server. Calls with a token no bot has are answered 401 and recorded in the first bot's `calls`.
   */
  addBot(options: FakeBotOptions): FakeTelegram;
  /** True while a long poll (getUpdates) of this bot is held open: the bot is polling now. */
  readonly polling: boolean;
  /** Queues an update for getUpdates and answers a waiting long poll at once. */
  pushUpdate(update: Update): void;
  /** Builds (does not queue) a text message update with a fresh update_id and message_id. */
  textUpdate(input: TextUpdateInput): TextMessageUpdate;
  readonly messages: readonly SentMessage[];
  /** Messages the bot sent to a chat (and topic, when given) that were not deleted, oldest first. */
  messagesInChat(chatId: ChatId, threadId?: number): SentMessage[];
  readonly edits: readonly MessageEdit[];
  readonly chatActions: readonly ChatAction[];
  readonly callbackAnswers: readonly CallbackAnswer[];
  /**
   * Makes the next `times` (default 1) calls of `method` (to `chatId`, when given) answer `error` instead of doing
   * anything, e.g. `failCalls({ method: 'sendMessage', error: { error_code: 403, description: 'Forbidden: bot
   * was blocked by the user' } })`. The calls are recorded in `calls` with the description as their error.
   */
  failCalls(cue: FailureCue<TelegramErrorAnswer>): void;
  /** Forgets every cue not used up yet. */
  clearFailures(): void;
  /** Every API call in arrival order, failed ones included. */
  readonly calls: readonly ApiCall[];
  readonly webhook: WebhookSettings | undefined;
  /**
   * The bot's command menu for the default scope, as the last `setMyCommands` left it (undefined until one is made;
   * `deleteMyCommands` empties it). Telegram's rules are checked: 1-32 characters of a-z, 0-9 and _, a description of
   * 1-256 characters, at most 100 commands.
   */
  readonly myCommands: readonly BotCommandEntry[] | undefined;
  /** Updates queued and not yet acknowledged by a getUpdates offset. */
  readonly pendingUpdates: readonly Update[];
  /**
   * Resolves with the first truthy value of `predicate`, re-checked after every API call and pushed update
   * (no polling); rejects after `timeoutMs` with the calls seen so far, so a failing test says what happened.
   */
  waitFor<T>(predicate: (fake: FakeTelegram) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /**
   * A file the bot can fetch: getFile `{file_id}` answers `{file_id, file_unique_id, file_size, file_path}`, and the
   * bytes are at `{apiRoot}/file/bot<token>/<file_path>` (answered `application/octet-stream`, as Telegram does).
   */
  addFile(bytes: Buffer, options?: { filePath?: string; fileId?: string }): FakeTelegramFile;
  /** File paths downloaded, in order (one per GET of a file). */
  readonly downloads: readonly string[];
  close(): Promise<void>;
}

export interface FakeTelegramFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  file_path: string;
}

/** Telegram's limit on a message text, in UTF-16 code units. */
const MAX_MESSAGE_LENGTH = 4096;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

interface HeldPoll {
  limit: number;
  req: IncomingMessage;
  res: ServerResponse;
  call: ApiCall;
  timer: NodeJS.Timeout;
}

type Handler = (params: RequestParams, call: ApiCall, req: IncomingMessage, res: ServerResponse) => unknown;

/** What the server needs of one bot: its view for tests, and how it answers a call made with its token. */
interface FakeBot {
  fake: FakeTelegram;
  handle(method: string, params: RequestParams, call: ApiCall, req: IncomingMessage, res: ServerResponse): void;
  /** Answers a held long poll, so a closing server does not wait for it. */
  release(): void;
  /** Adds a call to this bot's `calls` without answering it. */
  record(call: ApiCall): void;
  /** Answers a GET of a file's bytes. */
  serveFile(path: string, res: ServerResponse): void;
}

/** The server its bots share: routing by token, and one set of listeners (a wait sees every bot's calls). */
interface FakeServer {
  apiRoot: string;
  bots: Map<string, FakeBot>;
  listeners: Set<() => void>;
  maxLongPollMs: number;
  close(): Promise<void>;
}

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const bots = new Map<string, FakeBot>();
  const listeners = new Set<() => void>();
  let first: FakeBot | undefined;
  const server = await listenOnLoopback(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://fake').pathname;
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(pathname);
    if (download && req.method === 'GET') {
      const bot = bots.get(download[1]);
      if (!bot) return sendError(res, new ApiError(401, 'Unauthorized'));
      bot.serveFile(decodeURIComponent(download[2]), res);
      for (const listener of [...listeners]) listener();
      return;
    }
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(pathname);
    if (!route) return sendError(res, new ApiError(404, 'Not Found'));
    const [, token, method] = route;
    let params: RequestParams;
    try {
      params = await readRequestParams(req);
    } catch (err) {
      return sendError(res, badRequest(`can't parse request: ${(err as Error).message}`));
    }
    const call: ApiCall = { method, params, at: Date.now() };
    const bot = bots.get(token);
    if (bot) bot.handle(method, params, call, req, res);
    else {
      // A token no bot has: the first bot's calls show it (a wrong token is that bot's mistake).
      call.error = 'Unauthorized';
      first?.record(call);
      sendError(res, new ApiError(401, 'Unauthorized'));
    }
    for (const listener of [...listeners]) listener();
  });
  let closing: Promise<void> | undefined;
  const shared: FakeServer = {
    apiRoot: server.url,
    bots,
    listeners,
    maxLongPollMs: (options.maxLongPollSeconds ?? 1) * 1000,
    close: () =>
      (closing ??= (async () => {
        for (const bot of bots.values()) bot.release();
        await server.close();
      })()),
  };
  first = makeBot(shared, { token: options.token, botId: options.botId ?? 7_000_000_001, username: options.username ?? 'fake_test_bot' });
  return first.fake;
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.code, {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter !== undefined && { parameters: { retry_after: error.retryAfter } }),
  });
}

function makeBot(shared: FakeServer, options: FakeBotOptions): FakeBot {
  if (shared.bots.has(options.token)) throw new Error(`fake Telegram: a bot with token ${options.token} exists already`);
  const botInfo: User = {
    id: options.botId,
    is_bot: true,
    first_name: 'Fake Bot',
    username: options.username ?? `fake_${options.botId}_bot`,
  };
  const { maxLongPollMs, listeners } = shared;

  const messages: SentMessage[] = [];
  const edits: MessageEdit[] = [];
  const chatActions: ChatAction[] = [];
  const callbackAnswers: CallbackAnswer[] = [];
  const calls: ApiCall[] = [];
  let queue: Update[] = [];
  let webhook: WebhookSettings | undefined;
  let myCommands: BotCommandEntry[] | undefined;
  let heldPoll: HeldPoll | undefined;
  let lastUpdateId = 100_000;
  const lastMessageIdByChat = new Map<string, number>();
  const knownChats = new Map<string, Chat>();
  const failures = new FailureCues<TelegramErrorAnswer>();
  const files = new Map<string, { file: FakeTelegramFile; bytes: Buffer }>();
  const downloads: string[] = [];

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  // Telegram numbers messages per chat, inbound and outbound alike.
  const nextMessageId = (chatId: ChatId) => {
    const next = (lastMessageIdByChat.get(String(chatId)) ?? 0) + 1;
    lastMessageIdByChat.set(String(chatId), next);
    return next;
  };

  const chatFor = (chatId: ChatId): Chat =>
    knownChats.get(String(chatId)) ??
    (typeof chatId === 'number' && chatId > 0
      ? { id: chatId, type: 'private', first_name: 'User' }
      : { id: typeof chatId === 'number' ? chatId : -1, type: 'supergroup', title: String(chatId) });

  const findSent = (chatId: ChatId, messageId: number) =>
    messages.find((m) => String(m.chat_id) === String(chatId) && m.message_id === messageId && !m.deleted);

  const toMessage = (sent: SentMessage, editDate?: number) => ({
    message_id: sent.message_id,
    ...(sent.message_thread_id !== undefined && { message_thread_id: sent.message_thread_id, is_topic_message: true }),
    from: botInfo,
    date: unixNow(),
    ...(editDate !== undefined && { edit_date: editDate }),
    chat: chatFor(sent.chat_id),
    text: sent.text,
  });

  const answerPoll = (poll: HeldPoll, updates: Update[]) => {
    clearTimeout(poll.timer);
    if (heldPoll === poll) heldPoll = undefined;
    if (!poll.res.writableEnded) sendJson(poll.res, 200, { ok: true, result: updates });
    notify();
  };

  const dropAcknowledged = (offset: number) => {
    // A negative offset means "only the last -offset updates", forgetting the rest.
    queue = offset < 0 ? queue.slice(offset) : queue.filter((u) => u.update_id >= offset);
  };

  const getUpdates = (params: RequestParams, call: ApiCall, req: IncomingMessage, res: ServerResponse) => {
    if (webhook) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    // A poll whose client went away (telegraf aborts it on stop) must not block the next one.
    if (heldPoll && !heldPoll.req.socket.destroyed) {
      throw new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    }
    dropAcknowledged(intParam(params, 'offset') ?? 0);
    const limit = intParam(params, 'limit') ?? 100;
    const timeoutMs = Math.min((intParam(params, 'timeout') ?? 0) * 1000, maxLongPollMs);
    if (queue.length > 0 || timeoutMs <= 0) return queue.slice(0, limit);
    const poll: HeldPoll = { limit, req, res, call, timer: setTimeout(() => answerPoll(poll, []), timeoutMs) };
    res.on('close', () => {
      clearTimeout(poll.timer);
      if (heldPoll === poll) heldPoll = undefined;
    });
    heldPoll = poll;
    return HELD;
  };

  const sendMessage = (params: RequestParams) => {
    const chatId = chatIdParam(params);
    const text = validText(params);
    const replyParameters = params.reply_parameters as { message_id?: number } | undefined;
    const sent: SentMessage = {
      chat_id: chatId,
      message_id: nextMessageId(chatId),
      text,
      message_thread_id: intParam(params, 'message_thread_id'),
      reply_to_message_id: replyParameters?.message_id ?? intParam(params, 'reply_to_message_id'),
      parse_mode: stringParam(params, 'parse_mode'),
      reply_markup: params.reply_markup,
      deleted: false,
    };
    messages.push(sent);
    return toMessage(sent);
  };

  const editMessageText = (params: RequestParams) => {
    if (params.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the fake');
    const chatId = chatIdParam(params);
    const messageId = requiredInt(params, 'message_id');
    const text = validText(params);
    const sent = findSent(chatId, messageId);
    if (!sent) throw badRequest('message to edit not found');
    if (sent.text === text && JSON.stringify(sent.reply_markup) === JSON.stringify(params.reply_markup)) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    sent.text = text;
    sent.reply_markup = params.reply_markup;
    edits.push({ chat_id: chatId, message_id: messageId, text, parse_mode: stringParam(params, 'parse_mode') });
    return toMessage(sent, unixNow());
  };

  const deleteMessage = (params: RequestParams) => {
    const sent = findSent(chatIdParam(params), requiredInt(params, 'message_id'));
    if (!sent) throw badRequest('message to delete not found');
    sent.deleted = true;
    return true;
  };

  const sendChatAction = (params: RequestParams) => {
    const action = stringParam(params, 'action');
    if (!action) throw badRequest('wrong parameter action in request');
    chatActions.push({ chat_id: chatIdParam(params), action, message_thread_id: intParam(params, 'message_thread_id') });
    return true;
  };

  // Telegram answers an unknown or expired query id with 400 "query is too old…"; the fake takes every id.
  const answerCallbackQuery = (params: RequestParams) => {
    const id = stringParam(params, 'callback_query_id');
    if (!id) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    callbackAnswers.push({ callback_query_id: id, ...(stringParam(params, 'text') !== undefined && { text: stringParam(params, 'text') }) });
    return true;
  };

  const dropPendingIfAsked = (params: RequestParams) => {
    if (boolParam(params, 'drop_pending_updates')) queue = [];
  };

  const setWebhook = (params: RequestParams) => {
    const url = stringParam(params, 'url') ?? '';
    dropPendingIfAsked(params);
    // Telegram treats an empty url as "remove the webhook".
    webhook = url === '' ? undefined : { url, secret_token: stringParam(params, 'secret_token') };
    return true;
  };

  const deleteWebhook = (params: RequestParams) => {
    dropPendingIfAsked(params);
    webhook = undefined;
    return true;
  };

  const defaultScope = (params: RequestParams) => {
    const scope = params.scope as { type?: string } | undefined;
    if (scope !== undefined && scope.type !== 'default') throw badRequest('the fake keeps only the default command scope');
  };

  const setMyCommands = (params: RequestParams) => {
    defaultScope(params);
    const commands = typeof params.commands === 'string' ? (JSON.parse(params.commands) as unknown) : params.commands;
    if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
    if (commands.length > 100) throw badRequest('too many commands specified');
    myCommands = commands.map((entry: { command?: unknown; description?: unknown }) => {
      if (typeof entry.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(entry.command)) throw badRequest('BOT_COMMAND_INVALID');
      if (typeof entry.description !== 'string' || entry.description.length < 1 || entry.description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      return { command: entry.command, description: entry.description };
    });
    return true;
  };

  const getMyCommands = (params: RequestParams) => {
    defaultScope(params);
    return myCommands ?? [];
  };

  const deleteMyCommands = (params: RequestParams) => {
    defaultScope(params);
    myCommands = [];
    return true;
  };

  const getFile = (params: RequestParams) => {
    const known = files.get(stringParam(params, 'file_id') ?? '');
    if (!known) throw badRequest('invalid file_id');
    return known.file;
  };

  const getWebhookInfo = () => ({ url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: queue.length });

  const methods = new Map<string, Handler>(
    Object.entries({
      getMe: () => botInfo,
      getUpdates,
      sendMessage,
      editMessageText,
      deleteMessage,
      sendChatAction,
      answerCallbackQuery,
      setWebhook,
      deleteWebhook,
      getWebhookInfo,
      setMyCommands,
      getMyCommands,
      deleteMyCommands,
      getFile,
    } satisfies Record<string, Handler>).map(([name, handler]) => [name.toLowerCase(), handler]),
  );

  /** A call made with this bot's token. */
  const handle = (method: string, params: RequestParams, call: ApiCall, req: IncomingMessage, res: ServerResponse) => {
    calls.push(call);
    try {
      const handler = methods.get(method.toLowerCase());
      if (!handler) throw new ApiError(404, 'Not Found');
      const cued = failures.take(method, params.chat_id);
      if (cued) throw new ApiError(cued.error_code, cued.description, cued.retry_after);
      const result = handler(params, call, req, res);
      if (result !== HELD) sendJson(res, 200, { ok: true, result });
    } catch (err) {
      // Anything but an ApiError is a bug in the fake: answer 500 so the test fails loudly instead of hanging.
      const error = err instanceof ApiError ? err : new ApiError(500, `fake Telegram bug: ${(err as Error).message}`);
      call.error = error.description;
      sendError(res, error);
    }
  };

  const fake: FakeTelegram = {
    apiRoot: shared.apiRoot,
    token: options.token,
    botInfo,
    addBot: (other) => makeBot(shared, other).fake,
    get polling() {
      return heldPoll !== undefined && !heldPoll.req.socket.destroyed;
    },
    pushUpdate(update) {
      lastUpdateId = Math.max(lastUpdateId, update.update_id);
      queue.push(update);
      if (heldPoll) answerPoll(heldPoll, queue.slice(0, heldPoll.limit));
      else notify();
    },
    textUpdate(input) {
      const chatType = input.chatType ?? (input.chatId > 0 ? 'private' : 'supergroup');
      const firstName = input.firstName ?? 'Alice';
      const chat: Chat =
        chatType === 'private'
          ? { id: input.chatId, type: 'private', first_name: firstName }
          : chatType === 'group'
            ? { id: input.chatId, type: 'group', title: `Group ${input.chatId}` }
            : { id: input.chatId, type: 'supergroup', title: `Group ${input.chatId}`, ...(input.threadId !== undefined && { is_forum: true }) };
      knownChats.set(String(input.chatId), chat);
      const entities = input.entities ?? findEntities(input.text);
      const message = {
        message_id: nextMessageId(input.chatId),
        ...(input.threadId !== undefined && { message_thread_id: input.threadId, is_topic_message: true as const }),
        from: { id: input.userId, is_bot: false, first_name: firstName },
        date: unixNow(),
        chat,
        text: input.text,
        ...(entities.length > 0 && { entities }),
        ...(input.replyToBot && { reply_to_message: toMessage(lastBotMessage(input.chatId, input.threadId)) }),
      };
      return { update_id: ++lastUpdateId, message } as TextMessageUpdate;
    },
    get messages() {
      return messages;
    },
    messagesInChat: (chatId, threadId) =>
      messages.filter(
        (m) => String(m.chat_id) === String(chatId) && !m.deleted && (threadId === undefined || m.message_thread_id === threadId),
      ),
    get edits() {
      return edits;
    },
    get chatActions() {
      return chatActions;
    },
    get callbackAnswers() {
      return callbackAnswers;
    },
    failCalls: (cue) => failures.add(cue),
    clearFailures: () => failures.clear(),
    get calls() {
      return calls;
    },
    get webhook() {
      return webhook;
    },
    get myCommands() {
      return myCommands;
    },
    get pendingUpdates() {
      return queue;
    },
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = predicate(fake);
          if (!value) return false;
          done();
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          const seen = calls.map((c) => c.method + (c.error ? ` (${c.error})` : '')).join(', ') || 'none';
          reject(new Error(`fake Telegram: condition not met within ${timeoutMs} ms; API calls seen: ${seen}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    addFile(bytes, fileOptions = {}) {
      const n = files.size + 1;
      const file: FakeTelegramFile = {
        file_id: fileOptions.fileId ?? `fake-file-${options.botId}-${n}`,
        file_unique_id: `uniq${n}`,
        file_size: bytes.length,
        file_path: fileOptions.filePath ?? `documents/file_${n}.bin`,
      };
      files.set(file.file_id, { file, bytes });
      return file;
    },
    get downloads() {
      return downloads;
    },
    close: () => shared.close(),
  };

  const lastBotMessage = (chatId: number, threadId: number | undefined) => {
    const sent = fake.messagesInChat(chatId, threadId).at(-1);
    if (!sent) throw new Error(`textUpdate: replyToBot needs a message sent by the bot in chat ${chatId} first`);
    return sent;
  };

  const bot: FakeBot = {
    fake,
    handle,
    release: () => {
      if (heldPoll) answerPoll(heldPoll, []);
    },
    record: (call) => calls.push(call),
    serveFile: (path, res) => {
      const known = [...files.values()].find((f) => f.file.file_path === path);
      if (!known) return sendError(res, new ApiError(404, 'Not Found'));
      downloads.push(path);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': known.bytes.length });
      res.end(known.bytes);
    },
  };
  shared.bots.set(options.token, bot);
  return bot;
}

/** Sentinel: the handler keeps the response open (a held long poll) and answers it later. */
const HELD = Symbol('held');

/**
 * POSTs an update to a bot's webhook the way Telegram does: JSON body, and the secret token header only when a
 * secret was set with setWebhook.
 */
export async function postWebhookUpdate(url: string, update: Update, secretToken?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secretToken !== undefined && { 'x-telegram-bot-api-secret-token': secretToken }),
    },
    body: JSON.stringify(update),
  });
  return { status: response.status, body: await response.text() };
}

/** Entities Telegram's clients attach to a typed text: a leading bot command and @username mentions. */
function findEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/.exec(text);
  if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
  for (const mention of text.matchAll(/(?<![\w/@])@[A-Za-z0-9_]{5,32}\b/g)) {
    entities.push({ type: 'mention', offset: mention.index, length: mention[0].length });
  }
  return entities;
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

// Form and multipart bodies carry every value as a string; Telegram coerces them, so the fake does too.
function intParam(params: RequestParams, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw badRequest(`field "${name}" must be an integer`);
  return number;
}

function requiredInt(params: RequestParams, name: string): number {
  const value = intParam(params, name);
  if (value === undefined) throw badRequest(`${name} is empty`);
  return value;
}

function stringParam(params: RequestParams, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === null ? undefined : String(value);
}

function boolParam(params: RequestParams, name: string): boolean {
  return params[name] === true || params[name] === 'true';
}

/** Numeric chat ids may come as strings; `@channelname` ids stay strings. */
function chatIdParam(params: RequestParams): ChatId {
  const value = params.chat_id;
  if (value === undefined || value === null || value === '') throw badRequest('chat_id is empty');
  return typeof value === 'number' || /^-?\d+$/.test(String(value)) ? Number(value) : String(value);
}

function validText(params: RequestParams): string {
  const text = stringParam(params, 'text') ?? '';
  if (text.trim() === '') throw badRequest('message text is empty');
  if (text.length > MAX_MESSAGE_LENGTH) throw badRequest('message is too long');
  return text;
}
