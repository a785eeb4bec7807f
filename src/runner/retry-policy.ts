/*
 * How long to wait before trying again. Exponential back-off with jitter (so workers that failed together do not
 * retry together), honouring what the failing party asked for, within a cap: a Retry-After of an hour must not
 * hold a chat for an hour.
 */

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
}

/** Between two calls to a failing model, within one attempt. */
export const LLM_RETRY: RetryPolicy = { baseMs: 1_000, capMs: 30_000 };
/** Between two attempts on an inbox entry (a platform or the database failing for now). */
export const ATTEMPT_RETRY: RetryPolicy = { baseMs: 2_000, capMs: 5 * 60_000 };

export function backoffMs(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy): number {
  const exponential = policy.baseMs * 2 ** Math.max(0, attempt - 1) * (0.8 + 0.4 * Math.random());
  return Math.round(Math.min(policy.capMs, Math.max(exponential, retryAfterMs ?? 0)));
}
