import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { UnusableEventError } from '../shared/unusable-event.js';

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
 *
 * Throws UnusableEventError for a person's message that Slack cannot have sent: without an event id (so never
 * recognised when redelivered), or without the channel, user or ts a reply and a session need.
 */
export function normalizeEvent(envelope: SlackEventEnvelope, me: SlackIdentity): InboundMessage | undefined {
  const event = envelope.event;
  if (!event || (event.type !== 'message' && event.type !== 'app_mention')) return undefined;
  if (event.bot_id !== undefined || !USER_MESSAGE_SUBTYPES.has(str(event.subtype))) return undefined;
  const eventId = str(envelope.event_id);
  const channel = str(event.channel);
  const user = str(event.user);
  const ts = str(event.ts);
  if (!eventId) throw new UnusableEventError({ reason: `${event.type} event without an event_id` });
  if (!channel || !user || !ts) {
    const missing = Object.entries({ channel, user, ts }).flatMap(([field, value]) => (value ? [] : [field]));
    throw new UnusableEventError({ eventId, reason: `${event.type} event without ${missing.join(', ')}` });
  }
  const rawText = str(event.text);
  if (rawText === undefined || user === me.botUserId) return undefined;

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
