import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import type { UnusableEvent } from '../shared/unusable-event.js';

/*
 * What the Cloud API POSTs to the webhook (only the fields read here):
 * `{ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id },
 * contacts: [{ wa_id, profile: { name } }], messages: [{ id, from, type, text: { body } }], statuses: [...] } }] }] }`.
 */

interface WebhookValue {
  metadata?: { phone_number_id?: unknown };
  contacts?: Array<{ wa_id?: unknown; profile?: { name?: unknown } }>;
  messages?: Array<{ id?: unknown; from?: unknown; type?: unknown; text?: { body?: unknown } }>;
}

export class MalformedWebhookError extends Error {}

/** What one notification holds for the bot: messages to answer, and messages no real WhatsApp user sent. */
export interface NormalizedWebhook {
  messages: InboundMessage[];
  unusable: UnusableEvent[];
}

/**
 * The text messages of one webhook body addressed to `phoneNumberId`, in the order sent. Delivery statuses, other
 * fields and other phone numbers of the same business account are not messages for this bot and are skipped; so
 * are non-text messages (images, reactions…), which the runner cannot answer. A message without an id or a
 * sender is `unusable` (refused, while the others are answered). Throws MalformedWebhookError when the body is
 * not a Cloud API notification at all.
 */
export function normalizeWebhook(body: unknown, phoneNumberId: string): NormalizedWebhook {
  if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    throw new MalformedWebhookError('not a WhatsApp Business Account notification (expected object and entry[])');
  }
  const result: NormalizedWebhook = { messages: [], unusable: [] };
  for (const entry of body.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) throw new MalformedWebhookError('an entry without changes[]');
    for (const change of entry.changes) {
      if (!isObject(change) || !isObject(change.value)) throw new MalformedWebhookError('a change without a value');
      if (change.field !== 'messages') continue;
      const value = change.value as WebhookValue;
      if (value.metadata?.phone_number_id !== phoneNumberId) continue;
      if (value.messages !== undefined && !Array.isArray(value.messages)) throw new MalformedWebhookError('messages is not an array');
      for (const message of value.messages ?? []) {
        const normalized = toInbound(message, value, phoneNumberId);
        if (normalized && 'reason' in normalized) result.unusable.push(normalized);
        else if (normalized) result.messages.push(normalized);
      }
    }
  }
  return result;
}

function toInbound(message: NonNullable<WebhookValue['messages']>[number], value: WebhookValue, phoneNumberId: string): InboundMessage | UnusableEvent | undefined {
  const id = isObject(message) && typeof message.id === 'string' && message.id !== '' ? message.id : undefined;
  if (!id) return { reason: 'a message without an id' };
  if (typeof message.from !== 'string' || message.from === '') return { eventId: id, reason: 'a message without a sender (from)' };
  if (message.type !== 'text' || typeof message.text?.body !== 'string') return undefined;
  const name = value.contacts?.find((contact) => contact.wa_id === message.from)?.profile?.name;
  return {
    platform: 'whatsapp',
    botId: phoneNumberId,
    chatId: message.from,
    userId: message.from,
    ...(typeof name === 'string' ? { userName: name } : {}),
    eventId: id,
    messageId: id,
    text: message.text.body,
    // The Cloud API delivers only one-to-one chats: every message is a direct message to the bot.
    isPrivate: true,
    addressed: true,
    replyTarget: { chatId: message.from },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
