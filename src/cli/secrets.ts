/**
 * Secrets the CLI must never print: the platform tokens and keys it was given, by flag or environment. The one place
 * that prints a failure (runCli) masks them, whichever SDK put them in a message (Telegram's puts its token in URLs).
 */
const SECRET_ENV = [
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_BOT_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
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
