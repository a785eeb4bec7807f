import type { InboundMessage } from '../../src/runner/platform-adapter.js';

/** Who the bot is in its workspace (from `auth.test`). */
export interface SlackIdentity {
  teamId: string;
  /** The bot's user id: mentions look like `<@U…>`. */
  botUserId: string;
  botId?: string;
}

/** The fields of an Events API envelope and its inner event that a chat bot reads. */
export interface SlackEventEnvelope {
  event_id?: unknown;
  event?: {
    type?: unknown;
    subtype?: unknown;
    channel?: unknown;
    channel_type?: unknown;
    user?: unknown;
    bot_id?: unknown;
    text?: unknown;
    ts?: unknown;
    thread_ts?: unknown;
  };
}

/** Message subtypes that are still a person writing to the bot; the others are edits, joins, bot posts… */
const USER_MESSAGE_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);

/**
 * A Slack event as the runner's `InboundMessage`, or undefined for events the bot does not answer.
 *
 * DMs (`message` with `channel_type: im`) are one session per DM channel. In channels a mention arrives twice,
 * as `app_mention` and as `message` (with different event ids): the `app_mention` is the one taken, and every
 * channel message is its thread's (a top-level message starts the thread that the reply opens).
 */
export function normalizeEvent(envelope: SlackEventEnvelope, me: SlackIdentity): InboundMessage | undefined {
  const event = envelope.event;
  const eventId = str(envelope.event_id);
  if (!event || !eventId) return undefined;
  const channel = str(event.channel);
  const user = str(event.user);
  const ts = str(event.ts);
  const rawText = str(event.text);
  if (!channel || !user || !ts || rawText === undefined || event.bot_id !== undefined || user === me.botUserId) return undefined;
  if (!USER_MESSAGE_SUBTYPES.has(str(event.subtype))) return undefined;

  const mentionsBot = mentionPattern(me.botUserId).test(rawText);
  const isDm = event.type === 'message' && event.channel_type === 'im';
  if (event.type === 'app_mention') {
    // DM channel ids start with D; a DM is already delivered as `message.im`.
    if (channel.startsWith('D')) return undefined;
  } else if (event.type !== 'message' || (!isDm && mentionsBot)) {
    return undefined;
  }

  const text = decodeEntities(rawText.replace(mentionPattern(me.botUserId, 'g'), ' ')).trim();
  if (text === '') return undefined;
  const threadTs = str(event.thread_ts);
  // In a channel the thread is the session; in a DM it only says where the reply goes.
  const threadId = isDm ? undefined : (threadTs ?? ts);
  const replyThread = isDm ? threadTs : threadId;

  return {
    platform: 'slack',
    botId: me.teamId,
    chatId: channel,
    ...(threadId ? { threadId } : {}),
    userId: user,
    eventId,
    messageId: ts,
    text,
    isPrivate: isDm,
    addressed: isDm || event.type === 'app_mention',
    replyTarget: { chatId: channel, ...(replyThread ? { threadId: replyThread } : {}), replyToMessageId: ts },
  };
}

/** `<@U123>` or `<@U123|name>`, with the spaces around it. */
function mentionPattern(botUserId: string, flags = ''): RegExp {
  return new RegExp(`\\s*<@${botUserId.replace(/[^A-Za-z0-9]/g, '')}(?:\\|[^>]*)?>\\s*`, flags);
}

/** Slack sends `&`, `<`, `>` typed by the user as entities; the model should see the characters. */
function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
