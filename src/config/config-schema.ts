import { z } from 'zod';
import { envInteger, envText } from './env-reference.js';

/*
 * The config file of `threadline bot run --config <file>`: every option of the `threadline bot <platform>` commands,
 * named as the flags are, in camelCase (`--group-policy` is `groupPolicy`). Runner options at the top level apply to
 * every platform; a platform's section may override them (ids in `allow` differ per platform). Unknown keys are
 * errors, so a typo never silently falls back to a default.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MAX_PORT = 65_535;

function runnerFields(env: NodeJS.ProcessEnv) {
  return {
    /** User or chat ids (YAML may write them as numbers). */
    allow: z.array(envText(env)).optional(),
    groupPolicy: z.enum(['mention_only', 'respond_all', 'command_only']).optional(),
    sessionScope: z.enum(['chat', 'user']).optional(),
    queueMode: z.enum(['sequential', 'collect']).optional(),
    stream: z.boolean().optional(),
    streamEditInterval: envInteger(env, 0).optional(),
    concurrency: envInteger(env, 1).optional(),
  };
}

export function configSchema(env: NodeJS.ProcessEnv = process.env) {
  const text = envText(env);
  const port = envInteger(env, 0, MAX_PORT);

  const telegram = z.strictObject({
    token: text,
    apiRoot: text.optional(),
    /** Without it the bot long-polls (one worker polls, the others stand by). */
    webhook: z.strictObject({ url: text, secret: text, port: port.default(8080) }).optional(),
    ...runnerFields(env),
  });

  const whatsapp = z.strictObject({
    accessToken: text,
    phoneNumberId: text,
    verifyToken: text,
    appSecret: text,
    apiUrl: text.optional(),
    port: port.default(8080),
    host: text.optional(),
    ...runnerFields(env),
  });

  return z
    .strictObject({
      db: text.optional(),
      model: text.optional(),
      baseUrl: text.optional(),
      name: text.optional(),
      instructions: text.optional(),
      logLevel: z.enum(LOG_LEVELS).optional(),
      ...runnerFields(env),
      platforms: z
        .strictObject({ telegram: telegram.optional(), whatsapp: whatsapp.optional() })
        .refine((platforms) => Object.values(platforms).some(Boolean), 'configure at least one platform (telegram, whatsapp)'),
    })
    .superRefine((config, ctx) => {
      // Two webhook servers of one process cannot share a port.
      const telegramPort = config.platforms.telegram?.webhook?.port;
      const whatsappPort = config.platforms.whatsapp?.port;
      if (telegramPort !== undefined && telegramPort !== 0 && telegramPort === whatsappPort) {
        ctx.addIssue({ code: 'custom', path: ['platforms', 'whatsapp', 'port'], message: `port ${whatsappPort} is already platforms.telegram.webhook.port` });
      }
    });
}

export type ThreadlineConfig = z.output<ReturnType<typeof configSchema>>;
export type PlatformName = keyof ThreadlineConfig['platforms'];
export type TelegramConfig = NonNullable<ThreadlineConfig['platforms']['telegram']>;
export type WhatsAppConfig = NonNullable<ThreadlineConfig['platforms']['whatsapp']>;
