import { ChannelType, MessageFlags, MessageType, type Message } from 'discord.js';
import { composeText, type Attachment, type ContentItem } from '../../src/runner/message-content.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';

/** Message kinds a person writes; joins, pins, boosts and other system notices are not answered. */
const CONVERSATIONAL_TYPES = new Set<MessageType>([MessageType.Default, MessageType.Reply]);

/**
 * A Discord message as the runner's `InboundMessage`, or undefined for messages a chat bot does not answer
 * (other bots, itself, system notices, messages with nothing in them).
 *
 * Content (see the table in adapters/discord/README.md): the text, with the bot's mention removed; attachments
 * described (a voice message is a `voice` attachment); stickers as `[sticker <name>]`; polls as
 * `[poll "…": a / b]`. A forwarded message comes as `unsupported`, for the runner to tell the user.
 *
 * Sessions: a DM or a guild channel is `chatId` = its channel id; a thread is a channel of its own on Discord,
 * so its channel id is its `chatId` too and each thread is its own session.
 */
export function normalizeMessage(message: Message, botId: string): InboundMessage | undefined {
  if (message.author.bot || message.system || !CONVERSATIONAL_TYPES.has(message.type)) return undefined;
  const isPrivate = message.channel.type === ChannelType.DM;
  // Mentions arrive as `<@id>` (or `<@!id>` from older clients); the model and the command parser want the words.
  const mention = new RegExp(`<@!?${botId}>`, 'g');
  const attachments = attachmentsOf(message);
  const items: ContentItem[] = [];
  const poll = message.poll;
  if (poll) items.push({ kind: 'poll', question: poll.question.text ?? '', options: [...poll.answers.values()].map((answer) => answer.text ?? '').filter(Boolean) });
  // A forward carries the forwarded message as a snapshot, with no content of its own.
  const unsupported = message.messageSnapshots.size > 0 ? 'forwarded message' : undefined;
  const text = composeText({ text: message.content.replace(mention, ''), items, attachments });
  if (text === '' && attachments.length === 0 && !unsupported) return undefined;
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
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(items.length > 0 ? { items } : {}),
    ...(unsupported ? { unsupported } : {}),
    isPrivate,
    addressed: isPrivate || mentioned || repliedToBot,
    // In a busy channel, answering as a reply shows which message the answer belongs to; a DM needs no such link.
    replyTarget: { chatId: message.channelId, ...(isPrivate ? {} : { replyToMessageId: message.id }) },
  };
}

/** Files by their content type (a voice message is flagged as one); stickers by their name. */
function attachmentsOf(message: Message): Attachment[] {
  const voiceMessage = message.flags.has(MessageFlags.IsVoiceMessage);
  const files = [...message.attachments.values()].map((file): Attachment => {
    const type = file.contentType ?? undefined;
    const kind: Attachment['kind'] = voiceMessage && type?.startsWith('audio/')
      ? 'voice'
      : type?.startsWith('image/') ? 'image' : type?.startsWith('audio/') ? 'audio' : type?.startsWith('video/') ? 'video' : 'document';
    return {
      kind,
      ...(type ? { mimeType: type } : {}),
      ...(file.name ? { fileName: file.name } : {}),
      platformFileId: file.id,
      url: file.url,
      size: file.size,
      ...(typeof file.duration === 'number' ? { durationSeconds: file.duration } : {}),
      ...(typeof file.width === 'number' ? { width: file.width } : {}),
      ...(typeof file.height === 'number' ? { height: file.height } : {}),
      ...(file.description ? { description: file.description } : {}),
    };
  });
  const stickers = [...message.stickers.values()].map((sticker): Attachment => ({ kind: 'sticker', platformFileId: sticker.id, ...(sticker.name ? { description: sticker.name } : {}) }));
  return [...files, ...stickers];
}
