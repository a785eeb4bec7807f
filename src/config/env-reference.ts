import { z } from 'zod';

/*
 * Config values that may name environment variables instead of holding secrets: `token: ${TELEGRAM_BOT_TOKEN}`
 * (also inside a longer string: `postgres://bot:${PGPASSWORD}@db/threadline`) or `token: { env: TELEGRAM_BOT_TOKEN }`.
 * A variable that is unset or empty is an error naming it, never a silently empty secret.
 */

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

type Resolved<T> = { value: T } | { error: string };

/** Text, with env references resolved from `env`; numbers are accepted as text (ids are often written bare in YAML). */
export function envText(env: NodeJS.ProcessEnv) {
  return z.unknown().transform((value, ctx): string => unwrap(resolveText(value, env), ctx));
}

/** A whole number in [min, max], written as a number or as text (so it may come from the environment too). */
export function envInteger(env: NodeJS.ProcessEnv, min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = `from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
  return envNumber(env, `a whole number ${range}`, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** A number above 0, fractions allowed (seconds), written as a number or as text. */
export function envPositiveNumber(env: NodeJS.ProcessEnv) {
  return envNumber(env, 'a number above 0', (n) => Number.isFinite(n) && n > 0);
}

function envNumber(env: NodeJS.ProcessEnv, expected: string, accepts: (n: number) => boolean) {
  return z.unknown().transform((value, ctx): number => {
    const text = typeof value === 'number' ? { value: String(value) } : resolveText(value, env);
    if ('error' in text) return unwrap(text, ctx);
    const n = Number(text.value);
    return unwrap(accepts(n) ? { value: n } : { error: `expected ${expected}, got ${JSON.stringify(value)}` }, ctx);
  });
}

function resolveText(value: unknown, env: NodeJS.ProcessEnv): Resolved<string> {
  if (value === undefined || value === null) return { error: 'is required' };
  if (typeof value === 'number') return { value: String(value) };
  if (isEnvObject(value)) {
    const resolved = env[value.env];
    return resolved ? { value: resolved } : { error: `environment variable ${value.env} is not set` };
  }
  if (typeof value !== 'string') return { error: 'expected text, ${NAME} or { env: NAME }' };
  const unset = [...value.matchAll(REFERENCE)].map((match) => match[1]).filter((name) => !env[name]);
  if (unset.length === 1) return { error: `environment variable ${unset[0]} is not set` };
  if (unset.length > 1) return { error: `environment variables ${unset.join(', ')} are not set` };
  return { value: value.replace(REFERENCE, (_, name: string) => env[name]!) };
}

function unwrap<T>(resolved: Resolved<T>, ctx: z.RefinementCtx): T {
  if ('value' in resolved) return resolved.value;
  ctx.addIssue({ code: 'custom', message: resolved.error });
  return z.NEVER;
}

function isEnvObject(value: unknown): value is { env: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { env?: unknown }).env === 'string';
}
