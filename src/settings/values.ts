import { z } from 'zod';

/*
 * The value types of settings, one verdict for both sources: a flag's text (`--concurrency 0`) and a config file's
 * value (`concurrency: 0`, or `"${WORKERS}"` once resolved) go through the same check and get the same message.
 */

const TEXT = 'expected text, ${NAME} or { env: NAME }';

const required = (value: unknown) => value === undefined || value === null;

/** Text; a number is taken as its text (ids are often written bare in YAML). */
export function text() {
  return z.unknown().transform((value, ctx): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    ctx.addIssue({ code: 'custom', message: required(value) ? 'is required' : TEXT });
    return z.NEVER;
  });
}

/** A whole number in [min, max], written as a number or as its text. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = `from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
  return number(`a whole number ${range}`, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** A port to listen on; 0 picks any free one. */
export function port() {
  return wholeNumber(0, 65_535);
}

/** A number above 0, fractions allowed (seconds, megabytes), written as a number or as its text. */
export function positiveNumber(expected = 'a number above 0') {
  return number(expected, (n) => Number.isFinite(n) && n > 0);
}

function number(expected: string, accepts: (n: number) => boolean) {
  return z.unknown().transform((value, ctx): number => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (accepts(n)) return n;
    ctx.addIssue({ code: 'custom', message: required(value) ? 'is required' : `expected ${expected}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** Text that `check` accepts; its error message is the problem as the user reads it. */
export function checkedText(check: (text: string) => void) {
  return text().superRefine((value, ctx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
}
