import type { DeliveryFault, DeliveryFaultKind } from '../../src/runner/platform-adapter.js';

/*
 * What every adapter's classifier needs besides its own SDK's error codes: a fault whose reason stays one line,
 * and the recognition of failures below HTTP (the request may never have reached the platform).
 */

/** Long enough for any platform's error text; a whole response body in a log line is not. */
const MAX_REASON_LENGTH = 300;

/** A fault with `reason` on one line (Discord flattens form errors onto several) and of bounded length. */
export function deliveryFault(kind: DeliveryFaultKind, reason: string, retryAfterMs?: number): DeliveryFault {
  const line = reason.replace(/\s+/g, ' ').trim() || 'no reason given';
  return {
    kind,
    reason: line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line,
    ...(retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? { retryAfterMs: Math.ceil(retryAfterMs) } : {}),
  };
}

/** 429 (rate limited) and 5xx (the platform's own trouble): the same request may succeed later. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status < 600);
}

/** Socket and DNS failures (Node's codes, undici's): nothing about the request itself was refused. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
/** A request given up on by its own timeout (AbortSignal.timeout, node-fetch's abort). */
const TIMEOUT_NAMES = new Set(['AbortError', 'TimeoutError']);

/**
 * The transient fault when `error` is, or wraps, a network failure: node-fetch's FetchError (telegraf), undici's
 * "fetch failed" with the socket error as `cause` (fetch, discord.js), Slack's WebAPIRequestError (`original`).
 * The reason names the code, never the message: messages quote the URL, and Telegram's URLs hold the token.
 */
export function networkFault(error: unknown): DeliveryFault | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, name, cause, original } = current as { code?: unknown; name?: unknown; cause?: unknown; original?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return deliveryFault('transient', `network error: ${code}`);
    if (typeof name === 'string' && TIMEOUT_NAMES.has(name)) return deliveryFault('transient', 'network error: the request timed out');
    current = cause ?? original;
  }
  return undefined;
}

/** For errors no classifier recognises (a bug, an SDK surprise): transient, so the runner's bounded attempts decide. */
export function unrecognisedFault(error: unknown): DeliveryFault {
  const name = error instanceof Error ? error.name : typeof error;
  return deliveryFault('transient', `unrecognised error (${name})`);
}
