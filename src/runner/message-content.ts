/*
 * What a message carries beyond its text, the same on every platform, and the few words each kind becomes for the
 * model. Adapters describe what arrived (`attachments`, `items`, `unsupported` on InboundMessage) and build the
 * message's text with `composeText`; the runner decides what a message with no usable text gets (one short
 * reply, see `unusableContent`) and what the model is told about attachments it cannot see (`modelText`).
 *
 * Media (images, audio, video, files) are described, never fetched here: `platformFileId` / `url` are what the
 * worker's download needs (src/runner/media.ts, through the adapter's `fetchAttachment`). Media the bot cannot use
 * (see `usableAttachment`) without a caption get one plain reply; with a caption they are answered by it, the model
 * told what it cannot see.
 */

import { documentKind, documentTypeName, DOCUMENT_TYPES_HELP } from './documents.js';

/** Media the platform keeps as a file: what a later change can fetch. */
export type AttachmentKind = 'image' | 'animation' | 'video' | 'video_note' | 'audio' | 'voice' | 'document' | 'sticker';

export interface Attachment {
  kind: AttachmentKind;
  mimeType?: string;
  fileName?: string;
  /**
   * The platform's handle for the bytes: Telegram `file_id` (getFile), WhatsApp media id (`GET /<media id>`), Slack
   * file id, Discord attachment id.
   */
  platformFileId?: string;
  /**
   * Where the bytes are, when the platform says: Slack `url_private_download` (needs the bot token), Discord CDN URLs
   * (signed, they expire). Telegram and WhatsApp give none until asked with `platformFileId`.
   */
  url?: string;
  /** Bytes, when the platform says. */
  size?: number;
  durationSeconds?: number;
  width?: number;
  height?: number;
  /** What the platform says it shows, in a few words: a sticker's emoji (Telegram) or name (Discord), alt text. */
  description?: string;
}

/** Content with a meaning of its own, which the model gets as a short text (see `itemText`). */
export type ContentItem =
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { kind: 'contact'; name?: string; phones: string[] }
  | { kind: 'dice'; emoji: string; value: number }
  | { kind: 'poll'; question: string; options: string[] }
  /**
   * A tap on a button the user was shown: WhatsApp template quick replies (`button`), interactive replies
   * (`button_reply`, `list_reply`), Telegram inline keyboards (`callback_query`). Its title is the user's text.
   */
  | { kind: 'choice'; via: 'button' | 'button_reply' | 'list_reply' | 'callback_query'; title: string; payload?: string };

/** Attachments that need a download before anyone can use them (a sticker with a description is its description). */
const MEDIA_NOUNS: Record<AttachmentKind, [one: string, many: string]> = {
  image: ['an image', 'images'],
  animation: ['a GIF', 'GIFs'],
  video: ['a video', 'videos'],
  video_note: ['a video message', 'video messages'],
  audio: ['an audio file', 'audio files'],
  voice: ['a voice message', 'voice messages'],
  document: ['a file', 'files'],
  sticker: ['a sticker', 'stickers'],
};

/** Longest textual form of one item, and most items or options rendered: a payload cannot make the text huge. */
const MAX_ITEM_TEXT = 500;
const MAX_LISTED = 12;

/** `[location 52.52, 13.40]`, `[contact Jane Doe +49…]`, `[dice 🎲 4]`, `[poll "Lunch?": pizza / sushi]`; a choice is its title. */
export function itemText(item: ContentItem): string {
  switch (item.kind) {
    case 'location': {
      const place = [item.name, item.address].filter(Boolean).join(', ');
      return bounded(`[location ${coordinate(item.latitude)}, ${coordinate(item.longitude)}${place ? `: ${place}` : ''}]`);
    }
    case 'contact':
      return bounded(`[contact ${[item.name, ...item.phones.slice(0, MAX_LISTED)].filter(Boolean).join(' ') || 'without a name or number'}]`);
    case 'dice':
      return `[dice ${item.emoji} ${item.value}]`;
    case 'poll':
      return bounded(`[poll "${item.question}": ${item.options.slice(0, MAX_LISTED).join(' / ')}]`);
    case 'choice':
      return bounded(item.title);
  }
}

/**
 * A message's text as the runner gets it: what the user typed (or the media's caption), then the textual form of
 * each item and described sticker, one per line. Empty when nothing in it is usable as text.
 */
export function composeText(parts: { text?: string; items?: ContentItem[]; attachments?: Attachment[] }): string {
  const lines = [parts.text?.trim() ?? ''];
  for (const item of (parts.items ?? []).slice(0, MAX_LISTED)) lines.push(itemText(item));
  for (const sticker of (parts.attachments ?? []).filter((a) => a.kind === 'sticker' && a.description)) lines.push(bounded(`[sticker ${sticker.description}]`));
  return lines.filter((line) => line !== '').join('\n');
}

/** What a message without usable text holds, for its refusal; undefined when it has text (or holds nothing). */
export interface UnusableContent {
  /** For the ledger and the log: `voice`, `image, document`, `order`. */
  kinds: string;
  /** The one reply the sender gets. */
  reply: string;
}

export function unusableContent(
  message: { text: string; attachments?: Attachment[]; unsupported?: string },
  abilities: MediaAbilities = NO_MEDIA,
): UnusableContent | undefined {
  const attachments = message.attachments ?? [];
  // An attachment the bot can fetch and use is the message's content, with or without a caption.
  if (attachments.some((a) => usableAttachment(a, abilities))) return undefined;
  if (message.text.trim() !== '') return undefined;
  const media = [...new Set(attachments.map((a) => a.kind))];
  if (media.length === 0 && message.unsupported === undefined) return undefined;
  const kinds = [...media, ...(message.unsupported !== undefined ? [message.unsupported] : [])].join(', ');
  const only = media.length === 1 && message.unsupported === undefined ? media[0] : undefined;
  if (abilities.fetch && only === 'image') return { kinds, reply: 'Sorry, this model cannot see images. Please describe the picture in text (or add a caption).' };
  if (abilities.fetch && (only === 'voice' || only === 'audio')) {
    return { kinds, reply: `Sorry, I can't listen to ${MEDIA_NOUNS[only][1]}: no transcription is set up for this bot. Please send text.` };
  }
  if (abilities.fetch && abilities.documents && only === 'document' && attachments.length === 1) {
    return { kinds, reply: `Sorry, I can't read ${documentTypeName(attachments[0])}. ${DOCUMENT_TYPES_HELP}` };
  }
  const sorry = only ? `I can't open ${MEDIA_NOUNS[only][1]} yet` : `I can't read this kind of message yet`;
  return { kinds, reply: `Sorry, ${sorry}. Please send text (a caption on a photo or file works too).` };
}

/**
 * What the bot can do with media: fetch them through its adapter (`fetchAttachment`), show images to a
 * vision-capable model, transcribe voice and audio, read documents.
 */
export interface MediaAbilities {
  fetch: boolean;
  vision: boolean;
  transcription: boolean;
  documents: boolean;
}

export const NO_MEDIA: MediaAbilities = { fetch: false, vision: false, transcription: false, documents: false };

/** True when the bot downloads this attachment and makes it part of the turn (see `MediaAbilities`). */
export function usableAttachment(attachment: Attachment, abilities: MediaAbilities): boolean {
  if (!abilities.fetch || (attachment.platformFileId === undefined && attachment.url === undefined)) return false;
  switch (attachment.kind) {
    case 'image':
      return abilities.vision;
    case 'voice':
    case 'audio':
      return abilities.transcription;
    case 'document':
      return abilities.documents && documentKind(attachment) !== undefined;
    default:
      return false;
  }
}

/**
 * The user's message as the model reads it: the text, after a note naming the attachments the model cannot see
 * (those not `handled` otherwise: fetched media are described by src/runner/media.ts).
 */
export function modelText(message: { text: string; attachments?: Attachment[] }, handled: ReadonlySet<number> = new Set()): string {
  const unseen = (message.attachments ?? []).filter((a, i) => !handled.has(i) && !(a.kind === 'sticker' && a.description));
  if (unseen.length === 0) return message.text;
  const kinds = [...new Set(unseen.map((a) => a.kind))];
  const named =
    unseen.length === 1
      ? `${MEDIA_NOUNS[unseen[0].kind][0]}${unseen[0].fileName ? ` ("${unseen[0].fileName}")` : ''}`
      : kinds.length === 1
        ? `${unseen.length} ${MEDIA_NOUNS[kinds[0]][1]}`
        : `${unseen.length} attachments (${kinds.map((k) => MEDIA_NOUNS[k][1]).join(', ')})`;
  return `[The user attached ${named}, which you cannot see.]\n${message.text}`;
}

function coordinate(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 1e5) / 1e5) : '?';
}

function bounded(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  if (line.length <= MAX_ITEM_TEXT) return line;
  return line.startsWith('[') ? `${line.slice(0, MAX_ITEM_TEXT - 2)}…]` : `${line.slice(0, MAX_ITEM_TEXT - 1)}…`;
}
