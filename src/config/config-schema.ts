import { z } from 'zod';
import { envInteger, envPositiveNumber, envText } from './env-reference.js';

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
    maxAttempts: envInteger(env, 1).optional(),
    /** Seconds. */
    llmRetryWindow: z.number().positive().optional(),
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

  const slack = z
    .strictObject({
      token: text,
      /** HTTP mode (the default): Slack signs each request with it. */
      signingSecret: text.optional(),
      socketMode: z.boolean().optional(),
      /** Socket Mode: the app-level token (`xapp-…`, scope connections:write). */
      appToken: text.optional(),
      port: port.default(3000),
      apiUrl: text.optional(),
      ...runnerFields(env),
    })
    .superRefine((section, ctx) => {
      if (section.socketMode && !section.appToken) {
        ctx.addIssue({ code: 'custom', path: ['appToken'], message: 'is required with socketMode: true (an xapp-… token with connections:write)' });
      }
      if (!section.socketMode && !section.signingSecret) {
        ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'is required in HTTP mode (or set socketMode: true and appToken)' });
      }
    });

  const discord = z.strictObject({
    token: text,
    apiUrl: text.optional(),
    /** Total gateway shards of the bot, split between the workers. */
    shards: envInteger(env, 1).default(1),
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

  const platforms = { telegram, slack, discord, whatsapp };
  const platformNames = Object.keys(platforms).join(', ');

  return z
    .strictObject({
      db: text.optional(),
      model: text.optional(),
      baseUrl: text.optional(),
      /** `--llm-timeout`: seconds without a token before an LLM call fails. */
      llmTimeout: envPositiveNumber(env).optional(),
      name: text.optional(),
      instructions: text.optional(),
      logLevel: z.enum(LOG_LEVELS).optional(),
      /** `--ops-port`: the process's /healthz, /readyz and /metrics (one server per process, so top level only). */
      opsPort: port.optional(),
      opsHost: text.optional(),
      ...runnerFields(env),
      platforms: z
        .strictObject({ telegram: telegram.optional(), slack: slack.optional(), discord: discord.optional(), whatsapp: whatsapp.optional() })
        .refine((configured) => Object.values(configured).some(Boolean), `configure at least one platform (${platformNames})`),
    })
    .superRefine((config, ctx) => {
      // The webhook servers (and the ops server) of one process cannot share a port (0 picks a free one each).
      const { telegram: tg, slack: sl, whatsapp: wa } = config.platforms;
      const servers: Array<[path: string[], port: number | undefined]> = [
        [['opsPort'], config.opsPort],
        [['platforms', 'telegram', 'webhook', 'port'], tg?.webhook?.port],
        [['platforms', 'slack', 'port'], sl && !sl.socketMode ? sl.port : undefined],
        [['platforms', 'whatsapp', 'port'], wa?.port],
      ];
      const taken = new Map<number, string[]>();
      for (const [path, serverPort] of servers) {
        if (serverPort === undefined || serverPort === 0) continue;
        const holder = taken.get(serverPort);
        if (holder) ctx.addIssue({ code: 'custom', path, message: `port ${serverPort} is already ${holder.join('.')}` });
        else taken.set(serverPort, path);
      }
    });
}

export type ThreadlineConfig = z.output<ReturnType<typeof configSchema>>;
export type PlatformName = keyof ThreadlineConfig['platforms'];
