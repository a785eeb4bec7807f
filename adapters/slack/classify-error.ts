import { webApi } from '@slack/bolt';
import type { DeliveryFault, DeliveryFaultKind } from '../../src/runner/platform-adapter.js';
import { deliveryFault, isTransientStatus, networkFault, unrecognisedFault } from '../shared/delivery-fault.js';

/*
 * The Web API answers refusals with HTTP 200 and `{ok:false, error:'<code>'}` (the WebClient throws them as
 * platform errors); 429 and HTTP failures come as errors of their own. Codes from the chat.postMessage and
 * chat.update reference pages.
 */
const KIND_BY_SLACK_ERROR = new Map<string, DeliveryFaultKind>([
  // The bot cannot write to this conversation.
  ...(['channel_not_found', 'not_in_channel', 'is_archived', 'is_inactive', 'user_not_found', 'user_disabled', 'cannot_dm_bot', 'messages_tab_disabled', 'restricted_action', 'restricted_action_read_only_channel', 'restricted_action_thread_only_channel', 'restricted_action_non_threadable_channel', 'team_access_not_granted'] as const).map((code) => [code, 'unreachable'] as const),
  // This message cannot be edited any more.
  ...(['message_not_found', 'cant_update_message', 'edit_window_closed'] as const).map((code) => [code, 'edit_refused'] as const),
  // This text, as sent.
  ...(['msg_too_long', 'invalid_blocks', 'invalid_blocks_format', 'no_text', 'too_many_attachments', 'invalid_attachments', 'markdown_text_conflict'] as const).map((code) => [code, 'content'] as const),
  // Slack's own trouble.
  ...(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'] as const).map((code) => [code, 'transient'] as const),
]);

/** What the WebClient's error meant; unknown platform codes (invalid_auth, missing_scope…) are permanent. */
export function classifySlackError(error: unknown): DeliveryFault {
  const { code } = (error ?? {}) as { code?: unknown };
  switch (code) {
    case webApi.ErrorCode.PlatformError: {
      const slackError = String((error as webApi.WebAPIPlatformError).data.error);
      return deliveryFault(KIND_BY_SLACK_ERROR.get(slackError) ?? 'permanent', slackError);
    }
    case webApi.ErrorCode.RateLimitedError: {
      const { retryAfter } = error as webApi.WebAPIRateLimitedError;
      return deliveryFault('transient', `rate limited: retry after ${retryAfter} s`, retryAfter * 1000);
    }
    case webApi.ErrorCode.HTTPError: {
      const { statusCode, statusMessage } = error as webApi.WebAPIHTTPError;
      return deliveryFault(isTransientStatus(statusCode) ? 'transient' : 'permanent', `HTTP ${statusCode} ${statusMessage}`);
    }
    default:
      // RequestError wraps the network failure as `original`.
      return networkFault(error) ?? unrecognisedFault(error);
  }
}
