import { composeText, type Attachment, type ContentItem } from '../../src/runner/message-content.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import type { UnusableEvent } from '../shared/unusable-event.js';
import { MalformedPayloadError } from '../shared/webhook-endpoint.js';

/*
 * What the Cloud API POSTs to the webhook (only the fields read here):
 * `{ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id },
 * contacts: [{ wa_id, profile: { name } }], messages: [{ id, from, type, <type>: {...} }], statuses: [{ id, status, recipient_id, errors }] } }] }] }`.
 */

interface WebhookValue {
  metadata?: { phone_number_id?: unknown };
  contacts?: Array<{ wa_id?: unknown; profile?: { name?: unknown } }>;
  messages?: unknown[];
  statuses?: unknown[];
}

/** The fields of a Cloud API message read here: `type` says which of the others it carries. */
interface WhatsAppMessage {
  id?: unknown;
  from?: unknown;
  type?: unknown;
  text?: { body?: unknown };
  image?: WhatsAppMedia;
  video?: WhatsAppMedia;
  document?: WhatsAppMedia;
  audio?: WhatsAppMedia & { voice?: unknown };
  sticker?: WhatsAppMedia & { animated?: unknown };
  location?: { latitude?: unknown; longitude?: unknown; name?: unknown; address?: unknown };
  contacts?: Array<{ name?: { formatted_name?: unknown; first_name?: unknown; last_name?: unknown }; phones?: Array<{ phone?: unknown; wa_id?: unknown }> }>;
  button?: { text?: unknown; payload?: unknown };
  interactive?: { type?: unknown; button_reply?: { id?: unknown; title?: unknown }; list_reply?: { id?: unknown; title?: unknown } };
}

interface WhatsAppMedia {
  id?: unknown;
  mime_type?: unknown;
  caption?: unknown;
  filename?: unknown;
}

/** A message of ours that WhatsApp could not deliver (a `failed` status), as far as the notification says. */
export interface FailedDelivery {
  /** Our message's id (`wamid.…`). */
  messageId: string;
  /** The user it was for (a wa_id). */
  recipientId?: string;
  /** Graph's error code and title (`130472`, "User's number is part of an experiment"), and its details. */
  code?: number;
  title?: string;
  details?: string;
}

export class MalformedWebhookError extends MalformedPayloadError {}

/** What one notification holds for the bot: messages to answer, messages no real WhatsApp user sent, failed deliveries. */
export interface NormalizedWebhook {
  messages: InboundMessage[];
  unusable: UnusableEvent[];
  failed: FailedDelivery[];
}

/** Message types that are not a user writing to the bot: a reaction to a message, a number change notice. */
const IGNORED_TYPES = new Set(['reaction', 'system', 'request_welcome']);

/**
 * The messages of one webhook body addressed to `phoneNumberId`, in the order sent, with the delivery failures it
 * reports. Other fields, other phone numbers of the same business account, reactions, system notices and
 * delivery statuses other than `failed` are not for this bot and are skipped. Every other message type is a
 * message (see the table in adapters/whatsapp/README.md): text, media (captions as text, the media described),
 * locations, contacts, and the replies to buttons and lists (their title as text); types without a form here
 * (`order`, `unsupported`, …) come as `unsupported`, for the runner to tell the user. A message without an id or a
 * sender is `unusable` (refused, while the others are answered). Throws MalformedWebhookError when the body is
 * not a Cloud API notification at all.
 */
export function normalizeWebhook(body: unknown, phoneNumberId: string): NormalizedWebhook {
  if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    throw new MalformedWebhookError('not a WhatsApp Business Account notification (expected object and entry[])');
  }
  const result: NormalizedWebhook = { messages: [], unusable: [], failed: [] };
  for (const entry of body.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) throw new MalformedWebhookError('an entry without changes[]');
    for (const change of entry.changes) {
      if (!isObject(change) || !isObject(change.value)) throw new MalformedWebhookError('a change without a value');
      if (change.field !== 'messages') continue;
      const value = change.value as WebhookValue;
      if (value.metadata?.phone_number_id !== phoneNumberId) continue;
      if (value.messages !== undefined && !Array.isArray(value.messages)) throw new MalformedWebhookError('messages is not an array');
      for (const message of value.messages ?? []) {
        const normalized = toInbound(isObject(message) ? (message as WhatsAppMessage) : {}, value, phoneNumberId);
        if (normalized && 'reason' in normalized) result.unusable.push(normalized);
        else if (normalized) result.messages.push(normalized);
      }
      for (const status of Array.isArray(value.statuses) ? value.statuses : []) {
        const failed = failedDelivery(status);
        if (failed) result.failed.push(failed);
      }
    }
  }
  return result;
}

function toInbound(message: WhatsAppMessage, value: WebhookValue, phoneNumberId: string): InboundMessage | UnusableEvent | undefined {
  const id = typeof message.id === 'string' && message.id !== '' ? message.id : undefined;
  if (!id) return { reason: 'a message without an id' };
  if (typeof message.from !== 'string' || message.from === '') return { eventId: id, reason: 'a message without a sender (from)' };
  const type = typeof message.type === 'string' ? message.type : 'unknown';
  if (IGNORED_TYPES.has(type)) return undefined;
  const content = contentOf(message, type);
  const name = value.contacts?.find((contact) => contact.wa_id === message.from)?.profile?.name;
  return {
    platform: 'whatsapp',
    botId: phoneNumberId,
    chatId: message.from,
    userId: message.from,
    ...(typeof name === 'string' ? { userName: name } : {}),
    eventId: id,
    messageId: id,
    text: composeText(content),
    ...(content.attachments.length > 0 ? { attachments: content.attachments } : {}),
    ...(content.items.length > 0 ? { items: content.items } : {}),
    ...(content.unsupported ? { unsupported: content.unsupported } : {}),
    // The Cloud API delivers only one-to-one chats: every message is a direct message to the bot.
    isPrivate: true,
    addressed: true,
    replyTarget: { chatId: message.from },
  };
}

const MEDIA_KINDS: Record<string, Attachment['kind']> = { image: 'image', video: 'video', document: 'document', sticker: 'sticker' };

/** A message's content by its type; a type without a form here (or without the field its type names) is `unsupported`. */
function contentOf(message: WhatsAppMessage, type: string): { text?: string; attachments: Attachment[]; items: ContentItem[]; unsupported?: string } {
  const none = { attachments: [] as Attachment[], items: [] as ContentItem[] };
  const unsupported = { ...none, unsupported: type };
  switch (type) {
    case 'text':
      return typeof message.text?.body === 'string' ? { ...none, text: message.text.body } : unsupported;
    case 'image':
    case 'video':
    case 'document':
    case 'sticker':
    case 'audio': {
      const media = message[type];
      if (!isObject(media)) return unsupported;
      const kind = type === 'audio' ? (media.voice === true ? 'voice' : 'audio') : MEDIA_KINDS[type];
      const attachment: Attachment = {
        kind,
        ...(typeof media.id === 'string' ? { platformFileId: media.id } : {}),
        ...(typeof media.mime_type === 'string' ? { mimeType: media.mime_type } : {}),
        ...(typeof media.filename === 'string' ? { fileName: media.filename } : {}),
      };
      return { ...none, attachments: [attachment], ...(typeof media.caption === 'string' ? { text: media.caption } : {}) };
    }
    case 'location': {
      const { latitude, longitude, name, address } = message.location ?? {};
      if (typeof latitude !== 'number' || typeof longitude !== 'number') return unsupported;
      return { ...none, items: [{ kind: 'location', latitude, longitude, ...(typeof name === 'string' && name ? { name } : {}), ...(typeof address === 'string' && address ? { address } : {}) }] };
    }
    case 'contacts': {
      const contacts = (Array.isArray(message.contacts) ? message.contacts : []).filter(isObject) as NonNullable<WhatsAppMessage['contacts']>;
      const items: ContentItem[] = contacts.map((contact) => {
        const parts: NonNullable<(typeof contact)['name']> = isObject(contact.name) ? contact.name : {};
        const name = typeof parts.formatted_name === 'string' && parts.formatted_name ? parts.formatted_name : [parts.first_name, parts.last_name].filter((p) => typeof p === 'string' && p).join(' ');
        const phones = (Array.isArray(contact.phones) ? contact.phones : []).flatMap((phone) => (typeof phone?.phone === 'string' ? [phone.phone] : typeof phone?.wa_id === 'string' ? [`+${phone.wa_id}`] : []));
        return { kind: 'contact', ...(name ? { name } : {}), phones };
      });
      return items.length > 0 ? { ...none, items } : unsupported;
    }
    case 'button': {
      // A quick-reply button of a template message: its text is what the user tapped.
      const { text, payload } = message.button ?? {};
      const title = typeof text === 'string' && text ? text : typeof payload === 'string' ? payload : '';
      return title ? { ...none, items: [{ kind: 'choice', via: 'button', title, ...(typeof payload === 'string' ? { payload } : {}) }] } : unsupported;
    }
    case 'interactive': {
      const via = message.interactive?.type;
      const reply = via === 'button_reply' ? message.interactive?.button_reply : via === 'list_reply' ? message.interactive?.list_reply : undefined;
      if (!reply || (via !== 'button_reply' && via !== 'list_reply')) return { ...none, unsupported: `interactive ${typeof via === 'string' ? via : 'reply'}` };
      const title = typeof reply.title === 'string' && reply.title ? reply.title : typeof reply.id === 'string' ? reply.id : '';
      return title ? { ...none, items: [{ kind: 'choice', via, title, ...(typeof reply.id === 'string' ? { payload: reply.id } : {}) }] } : unsupported;
    }
    default:
      // `order`, `unsupported` (WhatsApp's own "Message type unknown"), and types newer than this code.
      return unsupported;
  }
}

/** A `failed` delivery status, read as far as it goes; other statuses (sent, delivered, read) are not reported. */
function failedDelivery(status: unknown): FailedDelivery | undefined {
  if (!isObject(status) || status.status !== 'failed' || typeof status.id !== 'string' || status.id === '') return undefined;
  const error = Array.isArray(status.errors) && isObject(status.errors[0]) ? status.errors[0] : {};
  const details = isObject(error.error_data) ? error.error_data.details : undefined;
  return {
    messageId: status.id,
    ...(typeof status.recipient_id === 'string' ? { recipientId: status.recipient_id } : {}),
    ...(typeof error.code === 'number' ? { code: error.code } : {}),
    ...(typeof error.title === 'string' ? { title: error.title } : typeof error.message === 'string' ? { title: error.message } : {}),
    ...(typeof details === 'string' ? { details } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
