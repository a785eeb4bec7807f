import type { MenuCommand } from './commands.js';

/**
 * The narrow contract between a platform adapter and the runner. An adapter turns platform events into
 * `InboundMessage`s and knows how to send, edit and show typing; it knows nothing of SQL, sessions' storage,
 * locks or LLMs. The runner knows nothing of any platform's API.
 */

import type { Attachment, ContentItem } from './message-content.js';

export type { Attachment, AttachmentKind, ContentItem } from './message-content.js';

/** Where a reply goes: the chat, and the thread/topic inside it when there is one. */
export interface ReplyTarget {
  chatId: string;
  threadId?: string;
  /** The platform message being answered (some platforms thread replies under it). */
  replyToMessageId?: string;
}

export interface InboundMessage {
  /** `telegram`, `discord`, `slack`, `whatsapp`, `console`. */
  platform: string;
  /** The bot's own id on the platform (part of session ids, so two bots never share a session). */
  botId: string;
  chatId: string;
  /** Forum topic / thread id, when the platform has one and the message is in it. */
  threadId?: string;
  userId: string;
  /** Sender's display name, given to the model in group chats. */
  userName?: string;
  /** The platform's id of this event: redeliveries carry the same id and are answered once. */
  eventId: string;
  /** The platform's id of the message itself (for replies that quote it). */
  messageId?: string;
  /**
   * What the user wrote, or the caption of their media, followed by the textual form of the items (see
   * `composeText`): a sticker `[sticker 😀]`, a location `[location 52.52, 13.4]`, a button's title. Empty when
   * nothing in the message is usable as text: the runner then replies once that it cannot use it.
   */
  text: string;
  /** Media the message carries (described, not fetched: see `Attachment`). */
  attachments?: Attachment[];
  /** Structured content the text was made from (locations, contacts, polls, button taps…). */
  items?: ContentItem[];
  /**
   * What the message held that the bot has no form for, in the platform's words (`order`, `unsupported`, `game`).
   * With no text, the sender is told the bot cannot read it.
   */
  unsupported?: string;
  /** A direct message (true) or a group/channel/thread shared by several users (false). */
  isPrivate: boolean;
  /** The bot was mentioned, replied to, or sent a command: in groups, the default policy answers only these. */
  addressed: boolean;
  /** Where a reply goes. */
  replyTarget: ReplyTarget;
  /** The session, when the user names it (the console); otherwise the runner derives it from the ids above. */
  sessionId?: string;
  /**
   * The platform's slash command or menu entry this message came from (Discord's `/ask`, Slack's `/threadline`),
   * when it did: the user picked the bot's own command, so no group policy ignores it (`command_only` included).
   */
  slashCommand?: string;
}

/**
 * Records one inbound message. Resolves once it is durably recorded (with its inbox id, unless it was a duplicate or
 * was not recorded for a turn); rejects when it could not be (store away).
 */
export type InboundHandler = (message: InboundMessage) => Promise<{ duplicate: boolean; inboxId?: number }>;

/** A platform event that can never become a message (no chat, ids past any sane length): refused, not retried. */
export interface RefusedEvent {
  platform: string;
  botId: string;
  /** The platform's id of the event, when it had a usable one. */
  eventId?: string;
  /** One line: what was wrong with it. */
  reason: string;
}

/** What an adapter hands platform events to: the runner. */
/** A message of ours the platform accepted and then could not deliver. */
export interface UndeliveredReport {
  /** The platform's id of our message, as \`send\` returned it. */
  messageId: string;
  /** One line: the platform's code and words (\`130472 User's number is part of an experiment\`). */
  reason: string;
  /** More for the log line (the recipient, the error's details); never a secret. */
  details?: Record<string, unknown>;
}

export interface InboundSink {
  receive: InboundHandler;
  /** Record a malformed event as refused, so it is acknowledged (200) once and never retried. */
  refuse(event: RefusedEvent): Promise<void>;
  /**
   * The platform reported that a message it had accepted was never delivered (a WhatsApp \`failed\` status): kept
   * with the reply part it was, for \`threadline inbox explain\`, and logged. Rejects when the store cannot take it
   * (the platform is then asked to send the report again).
   */
  undelivered(report: UndeliveredReport): Promise<void>;
  /**
   * The commands the runner answers, for the platform's own command menu (Telegram's `setMyCommands`, Discord's
   * application commands, Slack's slash command): see `menuCommands`. Absent or empty when the runner reads no
   * commands; the adapter then registers none (and leaves what is registered alone).
   */
  commands?: readonly MenuCommand[];
}

/**
 * How the platform refused a send or an edit, as the adapter reads its SDK's error. The runner decides the fate
 * from it (see src/runner/failure.ts); the adapter only says what the platform meant.
 * - `transient`: try again later (429, 5xx, network): the entry stays pending.
 * - `edit_refused`: this message can no longer be edited (too old, deleted): post a new one instead.
 * - `unreachable`: the bot cannot write to this chat (blocked, chat not found, not in channel): no reply is possible.
 * - `content`: the platform refused this text (400 on formatting or content): send it once more as plain text.
 * - `permanent`: any other refusal that a retry would only repeat.
 */
export type DeliveryFaultKind = 'transient' | 'edit_refused' | 'unreachable' | 'content' | 'permanent';

export interface DeliveryFault {
  kind: DeliveryFaultKind;
  /** One line, the platform's words where it gave any (no tokens). */
  reason: string;
  /** When the platform said how long to wait (Telegram's retry_after, Slack's Retry-After). */
  retryAfterMs?: number;
  /**
   * With `retryAfterMs`: which of the adapter's `sendLimits` the platform said was exceeded (WhatsApp's error codes
   * tell the number's throughput from the pair rate). Default: the narrowest scope of the send (its last).
   */
  limit?: string;
}

/** A platform's limit on sends: `ratePerSec` sustained, up to `burst` at once after a quiet spell. */
export interface SendLimit {
  ratePerSec: number;
  burst: number;
}

/**
 * One budget a send or edit takes from: which of the adapter's `sendLimits` applies, and whose budget it is. The
 * key names it for every worker on the store (`telegram:<bot id>:chat:<chat id>`): unique across bots and platforms.
 */
export interface SendScope {
  limit: string;
  key: string;
}

export interface PlatformAdapter {
  readonly platform: string;
  /** Longest message the platform accepts, in UTF-16 code units. */
  readonly textLimit: number;
  /** False on platforms that cannot edit a sent message (WhatsApp): replies are then sent once, complete. */
  readonly canEdit?: boolean;
  /** How often a streaming reply may be edited without upsetting the platform's rate limits (ms). */
  readonly minEditIntervalMs?: number;
  /**
   * The platform's limits on sends, by the adapter's name for each (`bot`, `private`, `group`; `channel`…): the
   * defaults of `--send-limit <name>=…`. Every worker of the bot shares them through the store (see SendBudget).
   * Adapters whose SDK paces itself (discord.js follows Discord's buckets) have none.
   */
  readonly sendLimits?: Readonly<Record<string, SendLimit>>;
  /** The budgets a send or edit to `target` takes from, widest first (the bot's, then the chat's); needs `sendLimits`. */
  sendScopes?(target: ReplyTarget): SendScope[];
  /** Begin receiving; every inbound event goes to `inbox`. Resolves when receiving has started. */
  start(inbox: InboundSink): Promise<void>;
  /** Stop receiving new events (turns in flight are the runner's to finish). */
  stop(): Promise<void>;
  /** Post a message; returns the platform's message id. */
  send(target: ReplyTarget, text: string): Promise<string>;
  /** Replace the text of a message this bot sent. */
  edit(target: ReplyTarget, messageId: string, text: string): Promise<void>;
  /** Show "typing…" (platforms expire it after a few seconds; the runner renews it). */
  typing(target: ReplyTarget): Promise<void>;
  /** Convert the model's Markdown into the platform's dialect (default: as is). */
  formatText?(markdown: string): string;
  /**
   * What a failed `send`/`edit`/`typing` meant (default: every error is `transient`, bounded by the runner's
   * attempts). Adapters recognise their SDK's error shapes here, and nowhere else.
   */
  classifyError?(error: unknown): DeliveryFault;
  /**
   * The bot's own id on the platform, the `botId` of the messages it receives (Telegram's and Discord's bot user id,
   * Slack's team id, WhatsApp's phone number id): known from its settings, or once `identify()` has resolved. The
   * runner names its inbox queue after it (see `runnerQueues`), so two bots of one platform on one database never
   * take each other's messages.
   */
  readonly botId?: string;
  /**
   * Ask the platform who the bot is (Telegram's getMe), so that `botId` is known; the runner awaits it before
   * anything else at start (a bad token fails here). Adapters that know `botId` from their settings need none.
   */
  identify?(): Promise<unknown>;
  /**
   * The inbox queue this adapter's runner takes entries from, when it is not `<platform>:<bot id>` (see
   * `runnerQueues`). A console process uses one of its own, so two consoles on one database never answer each
   * other's sessions; every `serve` process shares `http`.
   */
  readonly queue?: string;
  /** Lines /help adds for commands the adapter handles itself (the console's /exit). */
  readonly commandHelp?: string;
  /**
   * Whether the adapter receives now, for the process's /readyz: undefined when it does (or stands by, ready to
   * take over from the worker that does), else one line saying why not ("not started", "Socket Mode reconnecting").
   * Cheap and synchronous: it reads state the adapter keeps, it asks the platform nothing. Default: ready.
   */
  readiness?(): string | undefined;
  /**
   * The bytes of an attachment of a message this adapter received (Telegram getFile + download, WhatsApp's media
   * endpoint, Slack's `url_private` with the bot token, Discord's CDN URL), for the runner to store: the adapter
   * never sees the store. Stops with `MediaTooLargeError` (src/runner/media.ts) past `maxBytes`. Other failures are
   * tried again, bounded by the entry's attempts. Without it, media are described to the model, never fetched.
   */
  fetchAttachment?(attachment: Attachment, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }>;
}
