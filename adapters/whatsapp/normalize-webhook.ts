import type { InboundMessage } from '../../src/runner/platform-adapter.js';

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

/**
 * The text messages of one webhook body addressed to `phoneNumberId`, in the order sent. Delivery statuses, other
 * fields and other phone numbers of the same business account are not messages for this bot and are skipped; so
 * are non-text messages (images, reactions…), which the runner cannot answer. Throws MalformedWebhookError when
 * the body is not a Cloud API notification at all.
 */
export function normalizeWebhook(body: unknown, phoneNumberId: string): InboundMessage[] {
  if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    throw new MalformedWebhookError('not a WhatsApp Business Account notification (expected object and entry[])');
  }
  const inbound: InboundMessage[] = [];
  for (const entry of body.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) throw new MalformedWebhookError('an entry without changes[]');
    for (const change of entry.changes) {
      if (!isObject(change) || !isObject(change.value)) throw new MalformedWebhookError('a change without a value');
      if (change.field !== 'messages') continue;
      const value = change.value as WebhookValue;
      if (value.metadata?.phone_number_id !== phoneNumberId) continue;
      for (const message of value.messages ?? []) inbound.push(...toInbound(message, value, phoneNumberId));
    }
  }
  return inbound;
}

function toInbound(message: NonNullable<WebhookValue['messages']>[number], value: WebhookValue, phoneNumberId: string): InboundMessage[] {
  if (typeof message.id !== 'string' || typeof message.from !== 'string') throw new MalformedWebhookError('a message without id or from');
  if (message.type !== 'text' || typeof message.text?.body !== 'string') return [];
  const name = value.contacts?.find((contact) => contact.wa_id === message.from)?.profile?.name;
  return [
    {
      platform: 'whatsapp',
      botId: phoneNumberId,
      chatId: message.from,
      userId: message.from,
      ...(typeof name === 'string' ? { userName: name } : {}),
      eventId: message.id,
      messageId: message.id,
      text: message.text.body,
      // The Cloud API delivers only one-to-one chats: every message is a direct message to the bot.
      isPrivate: true,
      addressed: true,
      replyTarget: { chatId: message.from },
    },
  ];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
