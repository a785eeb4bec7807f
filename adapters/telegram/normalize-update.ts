import type { Update } from 'telegraf/types';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { UnusableEventError } from '../shared/unusable-event.js';

export interface TelegramBotIdentity {
  id: number;
  username: string;
}

/**
 * A Telegram update as the runner's `InboundMessage`, or undefined for updates a chat bot does not answer
 * (edits, channel posts, joins, media without a caption…). Throws UnusableEventError for a message update that no
 * real Telegram sends: without a chat or a sender, or with ids that are not integers (JSON allows a 400-digit
 * number; a session named after its rounded value would be another chat's).
 */
export function normalizeUpdate(update: Update, me: TelegramBotIdentity): InboundMessage | undefined {
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
  return answerable(update.message, eventId, me);
}

function answerable(message: NonNullable<Update.MessageUpdate['message']>, eventId: string, me: TelegramBotIdentity): InboundMessage | undefined {
  const text = 'text' in message ? message.text : 'caption' in message ? message.caption : undefined;
  if (typeof text !== 'string' || text === '' || !message.from || message.from.is_bot) return undefined;

  const entities = ('entities' in message ? message.entities : 'caption_entities' in message ? message.caption_entities : undefined) ?? [];
  const mention = `@${me.username}`.toLowerCase();
  const mentioned = entities.some(
    (e) =>
      (e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === mention) ||
      (e.type === 'text_mention' && e.user.id === me.id),
  );
  const command = entities.some((e) => e.type === 'bot_command' && e.offset === 0);
  const repliedToBot = (message as { reply_to_message?: { from?: { id: number } } }).reply_to_message?.from?.id === me.id;
  const isPrivate = message.chat.type === 'private';
  // Only messages inside a forum topic carry a thread of their own; a plain reply's thread id is not a topic.
  const threadId = message.is_topic_message && message.message_thread_id !== undefined ? String(message.message_thread_id) : undefined;
  const userName = [message.from.first_name, message.from.last_name].filter(Boolean).join(' ') || message.from.username;

  return {
    platform: 'telegram',
    botId: String(me.id),
    chatId: String(message.chat.id),
    ...(threadId ? { threadId } : {}),
    userId: String(message.from.id),
    ...(userName ? { userName } : {}),
    eventId,
    messageId: String(message.message_id),
    text,
    isPrivate,
    addressed: isPrivate || mentioned || command || repliedToBot,
    replyTarget: { chatId: String(message.chat.id), ...(threadId ? { threadId } : {}) },
  };
}

/** Telegram's ids (updates, chats, users, messages) are integers below 2^53; anything else is not from Telegram. */
function telegramId(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
}
