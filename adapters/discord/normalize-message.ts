import { ChannelType, MessageType, type Message } from 'discord.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';

/** Message kinds a person writes; joins, pins, boosts and other system notices are not answered. */
const CONVERSATIONAL_TYPES = new Set<MessageType>([MessageType.Default, MessageType.Reply]);

/**
 * A Discord message as the runner's `InboundMessage`, or undefined for messages a chat bot does not answer
 * (other bots, itself, system notices, messages with no text).
 *
 * Sessions: a DM or a guild channel is `chatId` = its channel id; a thread is a channel of its own on Discord,
 * so its channel id is its `chatId` too and each thread is its own session.
 */
export function normalizeMessage(message: Message, botId: string): InboundMessage | undefined {
  if (message.author.bot || message.system || !CONVERSATIONAL_TYPES.has(message.type)) return undefined;
  const isPrivate = message.channel.type === ChannelType.DM;
  // Mentions arrive as `<@id>` (or `<@!id>` from older clients); the model and the command parser want the words.
  const mention = new RegExp(`<@!?${botId}>`, 'g');
  const text = message.content.replace(mention, '').trim();
  if (text === '') return undefined;
  const mentioned = message.mentions.users.has(botId);
  const repliedToBot = message.mentions.repliedUser?.id === botId;
  const userName = message.member?.displayName ?? message.author.displayName;

  return {
    platform: 'discord',
    botId,
    chatId: message.channelId,
    userId: message.author.id,
    ...(userName ? { userName } : {}),
    eventId: message.id,
    messageId: message.id,
    text,
    isPrivate,
    addressed: isPrivate || mentioned || repliedToBot,
    // In a busy channel, answering as a reply shows which message the answer belongs to; a DM needs no such link.
    replyTarget: { chatId: message.channelId, ...(isPrivate ? {} : { replyToMessageId: message.id }) },
  };
}
