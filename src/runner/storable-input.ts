import type { InboundMessage } from './platform-adapter.js';

/** Longest platform id (chat, user, thread, event) taken; real ones are a few dozen characters. */
export const MAX_PLATFORM_ID_LENGTH = 256;

/**
 * Text as every store can keep it: Postgres refuses NUL in text and JSON, and a lone UTF-16 surrogate is not valid
 * Unicode anywhere. NULs are removed, lone surrogates become U+FFFD; everything else is left as the user wrote it.
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '').toWellFormed();
}

/** Why the message's ids cannot be used, or undefined when they can. */
export function unusableIds(message: InboundMessage): string | undefined {
  const ids = { botId: message.botId, chatId: message.chatId, userId: message.userId, eventId: message.eventId, threadId: message.threadId };
  for (const [name, id] of Object.entries(ids)) {
    if (id === undefined && name === 'threadId') continue;
    if (typeof id !== 'string' || id === '') return `${name} is missing`;
    if (id.length > MAX_PLATFORM_ID_LENGTH) return `${name} is ${id.length} characters long (the limit is ${MAX_PLATFORM_ID_LENGTH})`;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(id) || !id.isWellFormed()) return `${name} holds control characters or broken Unicode`;
  }
  return undefined;
}

/** Most attachments and items kept with a message (Discord allows 10 attachments; nothing real sends more than 20). */
export const MAX_CONTENT_ENTRIES = 20;

/**
 * The message with every free text made storable (ids are checked, not changed: see `unusableIds`), attachments
 * and items included (file names, titles and captions are the user's too).
 */
export function storableMessage(message: InboundMessage): InboundMessage {
  return {
    ...message,
    text: storableText(message.text),
    ...(message.userName !== undefined ? { userName: storableText(message.userName) } : {}),
    ...(message.attachments !== undefined ? { attachments: storableDeep(message.attachments.slice(0, MAX_CONTENT_ENTRIES)) } : {}),
    ...(message.items !== undefined ? { items: storableDeep(message.items.slice(0, MAX_CONTENT_ENTRIES)) } : {}),
    ...(message.unsupported !== undefined ? { unsupported: storableText(message.unsupported).slice(0, MAX_PLATFORM_ID_LENGTH) } : {}),
  };
}

/** Every string inside `value` made storable; the shape is kept. */
function storableDeep<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((entry: unknown) => storableDeep(entry)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, storableDeep(entry)])) as T;
  }
  return value;
}
