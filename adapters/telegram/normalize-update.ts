import type { Update } from 'telegraf/types';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';

export interface TelegramBotIdentity {
  id: number;
  username: string;
}

/**
 * A Telegram update as the runner's `InboundMessage`, or undefined for updates a chat bot does not answer
 * (edits, channel posts, joins, media without a caption…).
 */
export function normalizeUpdate(update: Update, me: TelegramBotIdentity): InboundMessage | undefined {
  if (!('message' in update) || !update.message) return undefined;
  const message = update.message;
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
    eventId: String(update.update_id),
    messageId: String(message.message_id),
    text,
    isPrivate,
    addressed: isPrivate || mentioned || command || repliedToBot,
    replyTarget: { chatId: String(message.chat.id), ...(threadId ? { threadId } : {}) },
  };
}
