import type { MessageEntity, Update } from 'telegraf/types';
import { parseCommand } from '../../src/runner/commands.js';
import { composeText, type Attachment, type ContentItem } from '../../src/runner/message-content.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { UnusableEventError } from '../shared/unusable-event.js';

export interface TelegramBotIdentity {
  id: number;
  username: string;
}

/**
 * A Telegram update as the runner's `InboundMessage`, or undefined for updates a chat bot does not answer (edits,
 * channel posts, service messages such as joins and pins, other bots, commands for another bot). Message content
 * is read per kind (see the table in adapters/telegram/README.md): text and captions are the text; photos, voice,
 * audio, video, documents and stickers are described as attachments; dice, polls, locations, venues and contacts
 * become a short text; a tap on an inline keyboard button (`callback_query`) is the button's title.
 *
 * Throws UnusableEventError for an update that no real Telegram sends: a message without a chat or a sender, or
 * with ids that are not integers (JSON allows a 400-digit number; a session named after its rounded value would be
 * another chat's).
 */
export function normalizeUpdate(update: Update, me: TelegramBotIdentity): InboundMessage | undefined {
  if ('callback_query' in update && update.callback_query !== undefined) return normalizeCallbackQuery(update, me);
  if (!('message' in update) || update.message === undefined) return undefined;
  const eventId = telegramId(update.update_id);
  const unusable = (reason: string) => new UnusableEventError({ ...(eventId ? { eventId } : {}), reason });
  if (!eventId) throw unusable('update_id is not an integer');
  const message = update.message as Partial<typeof update.message> | null;
  if (typeof message !== 'object' || message === null) throw unusable('message is not an object');
  if (typeof message.chat !== 'object' || message.chat === null || !telegramId(message.chat.id)) throw unusable('message without a chat, or its chat id is not an integer');
  if (typeof message.from !== 'object' || message.from === null || !telegramId(message.from.id)) throw unusable('message without a sender, or its sender id is not an integer');
  if (!telegramId(message.message_id)) throw unusable('message_id is not an integer');
  if (message.message_thread_id !== undefined && !telegramId(message.message_thread_id)) throw unusable('message_thread_id is not an integer');
  return answerable(update.message as unknown as TelegramMessage, eventId, me);
}

/** The fields of a message read here (telegraf's union of message kinds, flattened). */
interface TelegramMessage {
  message_id: number;
  message_thread_id?: number;
  is_topic_message?: boolean;
  from: { id: number; is_bot: boolean; first_name?: string; last_name?: string; username?: string };
  sender_chat?: { id: number; title?: string };
  author_signature?: string;
  chat: { id: number; type: string };
  text?: string;
  caption?: string;
  entities?: MessageEntity[];
  caption_entities?: MessageEntity[];
  reply_to_message?: { from?: { id: number } };
  [kind: string]: unknown;
}

interface TelegramFile {
  file_id?: string;
  file_size?: number;
  file_name?: string;
  mime_type?: string;
  duration?: number;
  width?: number;
  height?: number;
}

/** Telegram's anonymous group admin: messages of an admin who posts as the group come from this bot account. */
const GROUP_ANONYMOUS_BOT_ID = 1087968824;

/** Content a person can send that the bot has no form for yet: the sender is told so. */
const UNSUPPORTED_KINDS = ['game', 'invoice', 'story', 'giveaway', 'giveaway_winners', 'paid_media', 'checklist'];

/**
 * Service messages: things that happened in the chat (joins, pins, topic changes, payments…), nobody writing to
 * the bot. A message with none of these and no content either is of a kind this code does not know: the sender
 * is told the bot cannot read it.
 */
const SERVICE_KEYS = [
  'new_chat_members', 'left_chat_member', 'new_chat_title', 'new_chat_photo', 'delete_chat_photo', 'group_chat_created',
  'supergroup_chat_created', 'channel_chat_created', 'message_auto_delete_timer_changed', 'migrate_to_chat_id',
  'migrate_from_chat_id', 'pinned_message', 'successful_payment', 'refunded_payment', 'users_shared', 'user_shared',
  'chat_shared', 'connected_website', 'write_access_allowed', 'passport_data', 'proximity_alert_triggered',
  'boost_added', 'chat_background_set', 'forum_topic_created', 'forum_topic_edited', 'forum_topic_closed',
  'forum_topic_reopened', 'general_forum_topic_hidden', 'general_forum_topic_unhidden', 'giveaway_created',
  'giveaway_completed', 'video_chat_scheduled', 'video_chat_started', 'video_chat_ended',
  'video_chat_participants_invited', 'web_app_data', 'gift', 'unique_gift', 'paid_message_price_changed',
  'checklist_tasks_done', 'checklist_tasks_added', 'direct_message_price_changed',
];

function answerable(message: TelegramMessage, eventId: string, me: TelegramBotIdentity): InboundMessage | undefined {
  const sender = senderOf(message);
  if (!sender) return undefined;
  const content = contentOf(message);
  if (!content) return undefined;
  const raw = message.text ?? message.caption ?? '';
  const isPrivate = message.chat.type === 'private';

  const entities = message.entities ?? message.caption_entities ?? [];
  const mention = `@${me.username}`.toLowerCase();
  const mentioned = entities.some(
    (e) =>
      (e.type === 'mention' && raw.slice(e.offset, e.offset + e.length).toLowerCase() === mention) ||
      (e.type === 'text_mention' && e.user.id === me.id),
  );
  const command = commandAddressee(raw, entities, me);
  // `/report@modbot` in a group is the moderation bot's, even under respond_all (our /new must not run on it).
  if (command === 'another bot' && !isPrivate) return undefined;
  const repliedToBot = message.reply_to_message?.from?.id === me.id;
  // Only messages inside a forum topic carry a thread of their own; a plain reply's thread id is not a topic.
  const threadId = message.is_topic_message && message.message_thread_id !== undefined ? String(message.message_thread_id) : undefined;

  return {
    platform: 'telegram',
    botId: String(me.id),
    chatId: String(message.chat.id),
    ...(threadId ? { threadId } : {}),
    userId: sender.id,
    ...(sender.name ? { userName: sender.name } : {}),
    eventId,
    messageId: String(message.message_id),
    text: composeText({ text: raw, items: content.items, attachments: content.attachments }),
    ...(content.attachments.length > 0 ? { attachments: content.attachments } : {}),
    ...(content.items.length > 0 ? { items: content.items } : {}),
    ...(content.unsupported ? { unsupported: content.unsupported } : {}),
    isPrivate,
    addressed: isPrivate || mentioned || command === 'this bot' || repliedToBot,
    replyTarget: { chatId: String(message.chat.id), ...(threadId ? { threadId } : {}) },
  };
}

/**
 * Who wrote: a person, or an anonymous group admin (sent from @GroupAnonymousBot with the group as `sender_chat`:
 * the group is then the sender, named by the admin's custom title when it has one). Other bots are not answered.
 */
function senderOf(message: TelegramMessage): { id: string; name?: string } | undefined {
  const from = message.from;
  if (!from.is_bot) return { id: String(from.id), name: [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username };
  const chat = message.sender_chat;
  if (from.id === GROUP_ANONYMOUS_BOT_ID && chat && telegramId(chat.id) && chat.id === message.chat.id) {
    return { id: String(chat.id), name: message.author_signature || chat.title || 'Anonymous admin' };
  }
  return undefined;
}

/**
 * A leading command's addressee: `this bot` (`/anything@thisbot`, or one of Threadline's commands bare), `another
 * bot` (`/cmd@otherbot`), `nobody in particular` (a bare command Threadline does not know, such as `/report`), or
 * undefined (no command).
 */
function commandAddressee(text: string, entities: MessageEntity[], me: TelegramBotIdentity): 'this bot' | 'another bot' | 'nobody in particular' | undefined {
  const entity = entities.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (!entity) return undefined;
  const [, name, target] = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?/.exec(text.slice(0, entity.length)) ?? [];
  if (target) return target.toLowerCase() === me.username.toLowerCase() ? 'this bot' : 'another bot';
  return name && parseCommand(`/${name}`) ? 'this bot' : 'nobody in particular';
}

/** What a message holds, by kind; undefined for a service message (nobody wrote anything). */
function contentOf(message: TelegramMessage): { attachments: Attachment[]; items: ContentItem[]; unsupported?: string } | undefined {
  const attachments: Attachment[] = [];
  const items: ContentItem[] = [];
  const file = (kind: Attachment['kind'], value: unknown, defaults: Partial<Attachment> = {}) => {
    if (typeof value !== 'object' || value === null) return;
    const f = value as TelegramFile;
    attachments.push({
      kind,
      ...defaults,
      ...(typeof f.file_id === 'string' ? { platformFileId: f.file_id } : {}),
      ...(typeof f.mime_type === 'string' ? { mimeType: f.mime_type } : {}),
      ...(typeof f.file_name === 'string' ? { fileName: f.file_name } : {}),
      ...(typeof f.file_size === 'number' ? { size: f.file_size } : {}),
      ...(typeof f.duration === 'number' ? { durationSeconds: f.duration } : {}),
      ...(typeof f.width === 'number' ? { width: f.width } : {}),
      ...(typeof f.height === 'number' ? { height: f.height } : {}),
    });
  };

  if (Array.isArray(message.photo) && message.photo.length > 0) {
    // The sizes of one photo, smallest first: the largest is the photo.
    const sizes = message.photo as TelegramFile[];
    file('image', sizes.reduce((a, b) => ((b.width ?? 0) * (b.height ?? 0) >= (a.width ?? 0) * (a.height ?? 0) ? b : a)), { mimeType: 'image/jpeg' });
  }
  // An animation (GIF) also carries the same file as `document`, for older clients.
  if (message.animation) file('animation', message.animation);
  else if (message.document) file('document', message.document);
  if (message.video) file('video', message.video);
  if (message.video_note) file('video_note', message.video_note, { mimeType: 'video/mp4' });
  if (message.audio) {
    const audio = message.audio as { performer?: string; title?: string };
    const named = [audio.performer, audio.title].filter((part) => typeof part === 'string' && part !== '').join(' – ');
    file('audio', message.audio, named ? { description: named } : {});
  }
  if (message.voice) file('voice', message.voice);
  if (message.sticker) {
    const sticker = message.sticker as { emoji?: string; is_animated?: boolean; is_video?: boolean };
    const mimeType = sticker.is_animated ? 'application/x-tgsticker' : sticker.is_video ? 'video/webm' : 'image/webp';
    file('sticker', message.sticker, { mimeType, ...(typeof sticker.emoji === 'string' && sticker.emoji ? { description: sticker.emoji } : {}) });
  }

  const dice = message.dice as { emoji?: unknown; value?: unknown } | undefined;
  if (dice && typeof dice.emoji === 'string' && typeof dice.value === 'number') items.push({ kind: 'dice', emoji: dice.emoji, value: dice.value });
  const poll = message.poll as { question?: unknown; options?: Array<{ text?: unknown }> } | undefined;
  if (poll && typeof poll.question === 'string') {
    items.push({ kind: 'poll', question: poll.question, options: (poll.options ?? []).flatMap((o) => (typeof o?.text === 'string' ? [o.text] : [])) });
  }
  const venue = message.venue as { location?: { latitude?: unknown; longitude?: unknown }; title?: unknown; address?: unknown } | undefined;
  const location = (venue?.location ?? message.location) as { latitude?: unknown; longitude?: unknown } | undefined;
  if (location && typeof location.latitude === 'number' && typeof location.longitude === 'number') {
    items.push({
      kind: 'location',
      latitude: location.latitude,
      longitude: location.longitude,
      ...(typeof venue?.title === 'string' && venue.title ? { name: venue.title } : {}),
      ...(typeof venue?.address === 'string' && venue.address ? { address: venue.address } : {}),
    });
  }
  const contact = message.contact as { phone_number?: unknown; first_name?: unknown; last_name?: unknown } | undefined;
  if (contact) {
    const name = [contact.first_name, contact.last_name].filter((part) => typeof part === 'string' && part !== '').join(' ');
    items.push({ kind: 'contact', ...(name ? { name } : {}), phones: typeof contact.phone_number === 'string' ? [contact.phone_number] : [] });
  }

  const text = message.text ?? message.caption;
  const unsupported = UNSUPPORTED_KINDS.find((kind) => message[kind] !== undefined);
  if ((typeof text === 'string' && text !== '') || attachments.length > 0 || items.length > 0 || unsupported) {
    return { attachments, items, ...(unsupported ? { unsupported } : {}) };
  }
  if (SERVICE_KEYS.some((key) => message[key] !== undefined)) return undefined;
  // Something a person sent that this code has no name for (a kind newer than it).
  return { attachments, items, unsupported: 'unknown' };
}

/**
 * A tap on an inline keyboard button of the bot's message, as the user's message: the button's title (its
 * `callback_data` when the title cannot be found). Undefined for a button of an inline-mode message (no chat to
 * answer in) or a game button (no data). The adapter answers the query either way, so the client's spinner stops.
 */
function normalizeCallbackQuery(update: Update.CallbackQueryUpdate, me: TelegramBotIdentity): InboundMessage | undefined {
  const eventId = telegramId(update.update_id);
  const unusable = (reason: string) => new UnusableEventError({ ...(eventId ? { eventId } : {}), reason });
  if (!eventId) throw unusable('update_id is not an integer');
  const query = update.callback_query as Partial<typeof update.callback_query> & { data?: unknown };
  if (typeof query !== 'object' || query === null || typeof query.id !== 'string') throw unusable('callback_query without an id');
  if (typeof query.from !== 'object' || query.from === null || !telegramId(query.from.id)) throw unusable('callback_query without a sender, or its sender id is not an integer');
  const message = query.message as (Partial<TelegramMessage> & { reply_markup?: unknown }) | undefined;
  if (typeof message !== 'object' || message === null || typeof message.chat !== 'object' || message.chat === null) return undefined;
  if (!telegramId(message.chat.id)) throw unusable('callback_query message without a chat, or its chat id is not an integer');
  if (typeof query.data !== 'string' || query.from.is_bot) return undefined;
  const title = buttonTitle(message.reply_markup, query.data) || query.data;
  if (title === '') return undefined;
  const isPrivate = message.chat.type === 'private';
  const threadId = message.is_topic_message && telegramId(message.message_thread_id) ? String(message.message_thread_id) : undefined;
  const userName = [query.from.first_name, query.from.last_name].filter(Boolean).join(' ') || query.from.username;
  const item: ContentItem = { kind: 'choice', via: 'callback_query', title, payload: query.data };
  return {
    platform: 'telegram',
    botId: String(me.id),
    chatId: String(message.chat.id),
    ...(threadId ? { threadId } : {}),
    userId: String(query.from.id),
    ...(userName ? { userName } : {}),
    eventId,
    text: composeText({ items: [item] }),
    items: [item],
    isPrivate,
    // Only this bot receives taps on its own message's buttons.
    addressed: true,
    replyTarget: { chatId: String(message.chat.id), ...(threadId ? { threadId } : {}) },
  };
}

/** The text of the inline keyboard button whose `callback_data` is `data`. */
function buttonTitle(markup: unknown, data: string): string | undefined {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return undefined;
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const button = row.find((b: { callback_data?: unknown }) => b?.callback_data === data) as { text?: unknown } | undefined;
    if (typeof button?.text === 'string') return button.text;
  }
  return undefined;
}

/** Telegram's ids (updates, chats, users, messages) are integers below 2^53; anything else is not from Telegram. */
function telegramId(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
}
