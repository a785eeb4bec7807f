import type { z } from 'zod';
import { PLATFORMS } from '../../adapters/platforms.js';
import { metaOf } from '../settings/setting.js';

/**
 * Secrets the CLI must never print: the platform tokens and keys it was given, by flag or environment (the settings
 * the platforms declare secret, and the LLM key). The one place
 * that prints a failure (runCli) masks them, whichever SDK put them in a message (Telegram's puts its token in URLs).
 */
const SECRET_ENV = [
  ...PLATFORMS.flatMap((platform) => Object.values(platform.settings).map((field) => metaOf(field as z.ZodType))).flatMap((meta) => (meta?.secret && meta.env ? [meta.env] : [])),
  'OPENAI_API_KEY',
];

/** Shorter values are not masked: replacing "abc" everywhere would garble messages and protect nothing. */
const MIN_SECRET_LENGTH = 3;

const given = new Set<string>();

/** A secret this command was given on its command line (a `--token`): masked wherever it would be printed. */
export function treatAsSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) given.add(value);
}

/** `text` with every known secret replaced by `***`, the longest first (one may contain another). */
export function maskSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const secrets = [...given, ...SECRET_ENV.map((name) => env[name]).filter((v): v is string => !!v && v.length >= MIN_SECRET_LENGTH)];
  return secrets.sort((a, b) => b.length - a.length).reduce((masked, secret) => masked.replaceAll(secret, '***'), text);
}
