import type { SendBudgetScope } from './types.js';

/*
 * What both backends share of `takeSendBudget`: the scopes checked and made unique, and the token bucket's arithmetic
 * (SQLite runs it here; Postgres runs the same in take_send_budget, migration 6).
 */

const MAX_SCOPE_KEY_LENGTH = 500;

/** The scopes, each key once (the strictest rate and burst when named twice), in key order (the order rows are locked in). */
export function uniqueScopes(scopes: SendBudgetScope[]): SendBudgetScope[] {
  const byKey = new Map<string, SendBudgetScope>();
  for (const scope of scopes) {
    checkScopeKey(scope.key);
    if (!(Number.isFinite(scope.ratePerSec) && scope.ratePerSec > 0)) throw new TypeError(`send budget ${scope.key}: ratePerSec must be a number above 0 (got ${scope.ratePerSec})`);
    if (!(Number.isFinite(scope.burst) && scope.burst >= 1)) throw new TypeError(`send budget ${scope.key}: burst must be at least 1 (got ${scope.burst})`);
    const seen = byKey.get(scope.key);
    byKey.set(scope.key, seen ? { key: scope.key, ratePerSec: Math.min(seen.ratePerSec, scope.ratePerSec), burst: Math.min(seen.burst, scope.burst) } : scope);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function checkScopeKey(key: string): void {
  if (typeof key !== 'string' || key === '' || key.length > MAX_SCOPE_KEY_LENGTH) {
    throw new TypeError(`a send budget key must be a string of 1 to ${MAX_SCOPE_KEY_LENGTH} characters`);
  }
}

export function checkPause(pauseMs: number): void {
  if (!(Number.isFinite(pauseMs) && pauseMs >= 0)) throw new TypeError(`a send pause must be a number of milliseconds of 0 or more (got ${pauseMs})`);
}

/** A bucket as stored: its tokens when last refilled (ms since the epoch), and the end of a pause, if any. */
export interface BucketState {
  tokens: number;
  refilledAt: number;
  pausedUntil: number | null;
}

/** The tokens a bucket holds at `now`. */
export function tokensAt(bucket: BucketState, scope: SendBudgetScope, now: number): number {
  return Math.min(scope.burst, bucket.tokens + (Math.max(0, now - bucket.refilledAt) / 1000) * scope.ratePerSec);
}

/** How long until the bucket holds a token and is not paused (≤ 0: it does now). */
export function waitFor(bucket: BucketState, scope: SendBudgetScope, now: number): number {
  const paused = bucket.pausedUntil === null ? 0 : bucket.pausedUntil - now;
  return Math.max(paused, ((1 - tokensAt(bucket, scope, now)) / scope.ratePerSec) * 1000);
}

/** A wait as the store reports it: whole milliseconds, at least 1 when there is any wait at all. */
export function reportedWait(waitMs: number): number {
  return waitMs > 0 ? Math.max(1, Math.ceil(waitMs)) : 0;
}
