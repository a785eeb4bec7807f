import { TelegramError } from 'telegraf';
import type { DeliveryFault } from '../../src/runner/platform-adapter.js';
import { deliveryFault, isTransientStatus, networkFault, unrecognisedFault } from '../shared/delivery-fault.js';

/*
 * Telegram answers every refusal with an error_code (an HTTP status) and a description in English; the codes are
 * coarse (nearly everything is 400), so the description says which refusal it was.
 */

/** 400s that mean the bot cannot write to this chat (or topic) at all. */
const UNREACHABLE_400 = /chat not found|PEER_ID_INVALID|group chat was upgraded|have no rights to send|not enough rights|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|need administrator rights|TOPIC_CLOSED|TOPIC_DELETED|message thread not found|user not found/i;
/** 400s that mean only this message can no longer be edited. */
const EDIT_REFUSED_400 = /message to edit not found|message can't be edited|MESSAGE_ID_INVALID|message identifier is not specified/i;

/**
 * What telegraf's error meant: 403 (blocked, kicked, deactivated) and chat-level 400s → unreachable; edit 400s →
 * edit_refused; every other 400 (entities, length, empty text) → content; 429 → transient after `retry_after`;
 * 5xx and network failures → transient; the rest (401 token, 404) → permanent.
 */
export function classifyTelegramError(error: unknown): DeliveryFault {
  if (!(error instanceof TelegramError)) return networkFault(error) ?? unrecognisedFault(error);
  const status = error.code;
  const description = error.description || error.message;
  if (isTransientStatus(status)) {
    const retryAfter = error.parameters?.retry_after;
    return deliveryFault('transient', description, typeof retryAfter === 'number' ? retryAfter * 1000 : undefined);
  }
  if (status === 403) return deliveryFault('unreachable', description);
  if (status === 400) {
    if (EDIT_REFUSED_400.test(description)) return deliveryFault('edit_refused', description);
    if (UNREACHABLE_400.test(description)) return deliveryFault('unreachable', description);
    return deliveryFault('content', description);
  }
  return deliveryFault('permanent', description);
}
