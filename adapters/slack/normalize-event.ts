import { composeText, type Attachment } from '../../src/runner/message-content.js';
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
    files?: unknown;
  };
}

/** The fields of a shared file read here (Slack's file object). */
interface SlackFile {
  id?: unknown;
  name?: unknown;
  mimetype?: unknown;
  size?: unknown;
  url_private_download?: unknown;
  url_private?: unknown;
  /** `slack_audio` / `slack_video`: a clip recorded in Slack (a voice or video message). */
  subtype?: unknown;
  alt_txt?: unknown;
}

/** Message subtypes that are still a person writing to the bot; the others are edits, joins, bot posts… */
const USER_MESSAGE_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
/** Slackbot's user id: its DMs ("You have been removed from #…", reminders) are notices, not a person writing. */
const SLACKBOT = 'USLACKBOT';

/**
 * A Slack event as the runner's `InboundMessage`, or undefined for events the bot does not answer.
 *
 * DMs (`message` with `channel_type: im`) are one session per DM channel. In channels a mention arrives twice,
 * as `app_mention` and as `message` (with different event ids): the `app_mention` is the one taken, and every
 * channel message is its thread's (a top-level message starts the thread that the reply opens).
 *
 * A message is named by its channel and `ts` (`eventId` `<channel>-<ts>`), not by the envelope's `event_id`: Slack
 * sends a mention again when it is edited, as a new event (new `event_id`, `edited` set, same `ts`), and the
 * inbox must see that as the message it already has. (An edit that adds the mention is then the first time the
 * bot sees it, and is answered.) Files shared with the text are `attachments`; Slackbot is not answered.
 *
 * Throws UnusableEventError for a person's message that Slack cannot have sent: without the channel, user or ts a
 * reply and a session need.
 */
export function normalizeEvent(envelope: SlackEventEnvelope, me: SlackIdentity): InboundMessage | undefined {
  const event = envelope.event;
  if (!event || (event.type !== 'message' && event.type !== 'app_mention')) return undefined;
  if (event.bot_id !== undefined || !USER_MESSAGE_SUBTYPES.has(str(event.subtype))) return undefined;
  const channel = str(event.channel);
  const user = str(event.user);
  const ts = str(event.ts);
  if (!channel || !user || !ts) {
    const missing = Object.entries({ channel, user, ts }).flatMap(([field, value]) => (value ? [] : [field]));
    const envelopeId = str(envelope.event_id);
    throw new UnusableEventError({ ...(envelopeId ? { eventId: envelopeId } : {}), reason: `${event.type} event without ${missing.join(', ')}` });
  }
  const eventId = `${channel}-${ts}`;
  const attachments = filesOf(event.files);
  const rawText = typeof event.text === 'string' ? event.text : attachments.length > 0 ? '' : undefined;
  if (rawText === undefined || user === me.botUserId || user === SLACKBOT) return undefined;

  const mentionsBot = mentionPattern(me.botUserId).test(rawText);
  const isDm = event.type === 'message' && event.channel_type === 'im';
  if (event.type === 'app_mention') {
    // DM channel ids start with D; a DM is already delivered as `message.im`.
    if (channel.startsWith('D')) return undefined;
  } else if (event.type !== 'message' || (!isDm && mentionsBot)) {
    return undefined;
  }

  const text = composeText({ text: decodeEntities(rawText.replace(mentionPattern(me.botUserId, 'g'), ' ')) });
  // A bare mention says nothing to answer; a file without a comment is for the runner to refuse.
  if (text === '' && attachments.length === 0) return undefined;
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
    ...(attachments.length > 0 ? { attachments } : {}),
    isPrivate: isDm,
    addressed: isDm || event.type === 'app_mention',
    replyTarget: { chatId: channel, ...(replyThread ? { threadId: replyThread } : {}), replyToMessageId: ts },
  };
}

/** The files shared with a message; a clip recorded in Slack is a voice (or video) message. */
function filesOf(files: unknown): Attachment[] {
  if (!Array.isArray(files)) return [];
  return files.flatMap((value: unknown) => {
    if (typeof value !== 'object' || value === null) return [];
    const file = value as SlackFile;
    const mimeType = str(file.mimetype);
    const kind: Attachment['kind'] = mimeType?.startsWith('image/')
      ? 'image'
      : mimeType?.startsWith('audio/')
        ? file.subtype === 'slack_audio' ? 'voice' : 'audio'
        : mimeType?.startsWith('video/')
          ? 'video'
          : 'document';
    const url = str(file.url_private_download) ?? str(file.url_private);
    return [{
      kind,
      ...(mimeType ? { mimeType } : {}),
      ...(str(file.name) ? { fileName: str(file.name) } : {}),
      ...(str(file.id) ? { platformFileId: str(file.id) } : {}),
      ...(url ? { url } : {}),
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
      ...(str(file.alt_txt) ? { description: str(file.alt_txt) } : {}),
    }];
  });
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
