/**
 * How long an HTTP answer asks the client to wait before trying again: OpenAI's `retry-after-ms`, else the
 * standard `retry-after` in seconds or as an HTTP date. The raw value, uncapped: how long a wait is worth it is
 * the caller's decision (the SDK itself obeys any value, which is why the runner turns its retries off).
 */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const milliseconds = headers?.get('retry-after-ms')?.trim();
  if (milliseconds && NON_NEGATIVE_NUMBER.test(milliseconds)) return Number(milliseconds);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (NON_NEGATIVE_NUMBER.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP date names its month; Date.parse alone would read a bare "-3" as a year.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  // A date already past means "now"; an unreadable value means the server did not say.
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const NON_NEGATIVE_NUMBER = /^\d+(\.\d+)?$/;
