import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import type { DeliveryFault, DeliveryFaultKind } from '../../src/runner/platform-adapter.js';
import { deliveryFault, isTransientStatus, networkFault, unrecognisedFault } from '../shared/delivery-fault.js';

/* Discord's JSON error codes (the "JSON Error Codes" table of its API reference) that decide a message's fate. */
const KIND_BY_CODE = new Map<number, DeliveryFaultKind>([
  // The bot cannot write here: DMs closed or the user blocked it, the channel or guild is gone, it lacks access.
  [50007, 'unreachable'], // Cannot send messages to this user
  [10003, 'unreachable'], // Unknown Channel
  [10004, 'unreachable'], // Unknown Guild
  [10013, 'unreachable'], // Unknown User
  [50001, 'unreachable'], // Missing Access
  [50013, 'unreachable'], // Missing Permissions
  [50083, 'unreachable'], // Operation on an archived thread
  // This message cannot be edited any more.
  [10008, 'edit_refused'], // Unknown Message
  [50005, 'edit_refused'], // Cannot edit a message authored by another user
  // This content, as sent.
  [50035, 'content'], // Invalid Form Body (too long, bad fields)
  [50006, 'content'], // Cannot send an empty message
]);

/**
 * What discord.js's REST error meant. discord.js waits out rate limits and retries 5xx itself, so a 429 or 5xx
 * reaching here has outlasted that (or a RateLimitError was asked for): transient either way.
 */
export function classifyDiscordError(error: unknown): DeliveryFault {
  if (error instanceof DiscordAPIError) {
    const reason = `${error.message} (code ${error.code})`;
    const known = typeof error.code === 'number' ? KIND_BY_CODE.get(error.code) : undefined;
    if (known) return deliveryFault(known, reason);
    return deliveryFault(isTransientStatus(error.status) ? 'transient' : 'permanent', reason);
  }
  if (error instanceof RateLimitError) {
    return deliveryFault('transient', `rate limited on ${error.route}${error.global ? ' (global)' : ''}`, error.retryAfter || error.timeToReset);
  }
  if (error instanceof HTTPError) {
    return deliveryFault(isTransientStatus(error.status) ? 'transient' : 'permanent', `HTTP ${error.status} ${error.message}`);
  }
  return networkFault(error) ?? unrecognisedFault(error);
}
