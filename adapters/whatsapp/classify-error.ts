import type { DeliveryFault, DeliveryFaultKind } from '../../src/runner/platform-adapter.js';
import { deliveryFault, isTransientStatus, networkFault, unrecognisedFault } from '../shared/delivery-fault.js';
import { WhatsAppApiError } from './graph-client.js';

/*
 * The Cloud API says what went wrong in Graph's error code (the HTTP status is 400 for nearly all of them); see
 * Meta's "Error codes" page for WhatsApp Cloud API.
 */
const KIND_BY_CODE = new Map<number, DeliveryFaultKind>([
  // The user cannot be written to: the 24-hour customer-service window closed, the number cannot receive
  // (not on WhatsApp, old app version), or it is not among a test number's allowed recipients.
  [131047, 'unreachable'],
  [131026, 'unreachable'],
  [131030, 'unreachable'],
  // Rate limits: the app's calls, the business number's throughput, spam limits, Meta's own load.
  [4, 'transient'],
  [80007, 'transient'],
  [130429, 'transient'],
  [131048, 'transient'],
  [131056, 'transient'],
  [131016, 'transient'],
  [2, 'transient'],
  // The token or the app's permissions: every send fails alike until the configuration changes.
  [190, 'permanent'],
  [10, 'permanent'],
  [3, 'permanent'],
  // A parameter Graph refused: this text, as sent.
  [100, 'content'],
  [131008, 'content'],
  [131009, 'content'],
]);

/** Graph's 200–299 are permission errors (the app lacks one for this number). */
const isPermissionCode = (code: number) => code >= 200 && code <= 299;

/**
 * Rate limits Graph names by code without saying how long to wait: the number's throughput (a second) and the pair
 * rate of one number and one user (one message every 6 seconds). The wait pauses that send limit for every worker.
 */
const PAUSE_BY_CODE = new Map<number, { limit: 'number' | 'recipient'; ms: number }>([
  [130429, { limit: 'number', ms: 1_000 }],
  [131056, { limit: 'recipient', ms: 6_000 }],
]);

/** What a failed send meant, from Graph's code first, then from the HTTP status (429/5xx transient). */
export function classifyWhatsAppError(error: unknown): DeliveryFault {
  if (!(error instanceof WhatsAppApiError)) return networkFault(error) ?? unrecognisedFault(error);
  const reason = error.graphMessage ? `${error.graphMessage} (code ${error.code ?? '?'}${error.subcode ? `/${error.subcode}` : ''})` : error.message;
  const pause = error.code === undefined ? undefined : PAUSE_BY_CODE.get(error.code);
  if (pause) return { ...deliveryFault('transient', reason, pause.ms), limit: pause.limit };
  const known = error.code === undefined ? undefined : (KIND_BY_CODE.get(error.code) ?? (isPermissionCode(error.code) ? 'permanent' : undefined));
  if (known) return deliveryFault(known, reason);
  return deliveryFault(isTransientStatus(error.status) ? 'transient' : 'permanent', reason);
}
