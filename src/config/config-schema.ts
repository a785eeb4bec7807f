import { z } from 'zod';
import { parseSendLimit } from '../runner/send-budget.js';
import { envInteger, envPositiveNumber, envText } from './env-reference.js';

/*
 * The config file of `threadline bot run --config <file>`: every option of the `threadline bot <platform>` commands,
 * named as the flags are, in camelCase (`--group-policy` is `groupPolicy`). Runner options at the top level apply to
 * every platform; a platform's section may override them (ids in `allow` differ per platform). A platform's section
 * is one bot, or a list of bots of that platform (two Telegram bots with two tokens). Unknown keys are errors, so a
 * typo never silently falls back to a default.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MAX_PORT = 65_535;

/** A platform's section: one bot (an object), or several bots of the platform (a list of such objects). */
function oneOrMore<T extends z.ZodType>(section: T) {
  return z.union([section, z.array(section).min(1, 'list at least one bot, or remove the platform')]);
}

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
    /** `--no-send-limits` is `sendLimits: false`. */
    sendLimits: z.boolean().optional(),
    /** `--send-limit`, as a list: `[private=1/s:3, group=20/min]`. */
    sendLimit: z.array(envText(env).superRefine(checkSendLimit)).optional(),
    /** Seconds. */
    sendWait: z.number().positive().optional(),
    /** The model sees images (`--vision`). */
    vision: z.boolean().optional(),
    /** Largest attachment downloaded, in MB (`--max-media-mb`). */
    maxMediaMb: z.number().positive().optional(),
    maxDocumentChars: envInteger(env, 1).optional(),
    maxPdfPages: envInteger(env, 1).optional(),
    /** `--transcription-model`. */
    transcriptionModel: envText(env).optional(),
  };
}

function checkSendLimit(spec: string, ctx: z.RefinementCtx): void {
  try {
    parseSendLimit(spec);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
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
      /** The slash command's name as configured in the Slack app (default `/threadline`). */
      slashCommand: text.optional(),
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

  // A bare 18-digit number in YAML is already rounded when it is read: a guild id must be text.
  const discordId = z
    .unknown()
    .superRefine((value, ctx) => {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) ctx.addIssue({ code: 'custom', message: `quote Discord ids: YAML rounds a number this long (write '${String(value)}' as text, exactly as Discord shows it)` });
    })
    .pipe(text)
    .pipe(z.string().regex(/^\d{1,20}$/, 'expected a Discord id (digits only)'));

  const discord = z.strictObject({
    token: text,
    apiUrl: text.optional(),
    /** Total gateway shards of the bot, split between the workers. */
    shards: envInteger(env, 1).default(1),
    /** Register the slash commands in these guilds instead of globally (ids: write them as text). */
    commandGuilds: z.array(discordId).optional(),
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
        .strictObject({
          telegram: oneOrMore(telegram).optional(),
          slack: oneOrMore(slack).optional(),
          discord: oneOrMore(discord).optional(),
          whatsapp: oneOrMore(whatsapp).optional(),
        })
        .refine((configured) => Object.values(configured).some(Boolean), `configure at least one platform (${platformNames})`),
    })
    .superRefine((config, ctx) => {
      const bots = configuredBots(config.platforms);
      // The webhook servers (and the ops server) of one process cannot share a port (0 picks a free one each).
      const servers: Array<[path: Path, port: number | undefined]> = [[['opsPort'], config.opsPort]];
      for (const bot of bots) {
        if (bot.platform === 'telegram') servers.push([[...bot.path, 'webhook', 'port'], bot.section.webhook?.port]);
        if (bot.platform === 'slack') servers.push([[...bot.path, 'port'], bot.section.socketMode ? undefined : bot.section.port]);
        if (bot.platform === 'whatsapp') servers.push([[...bot.path, 'port'], bot.section.port]);
      }
      const taken = new Map<number, Path>();
      for (const [path, serverPort] of servers) {
        if (serverPort === undefined || serverPort === 0) continue;
        const holder = taken.get(serverPort);
        if (holder) ctx.addIssue({ code: 'custom', path, message: `port ${serverPort} is already ${keyOf(holder)}` });
        else taken.set(serverPort, path);
      }
      // One bot runs once per process: two sections with the same identity would answer each message twice over.
      const seen = new Map<string, Path>();
      for (const bot of bots) {
        const reported = new Set<string>();
        for (const [key, identity, what] of identities(bot)) {
          const holder = seen.get(identity);
          if (!holder) seen.set(identity, [...bot.path, key]);
          else if (!reported.has(key)) {
            reported.add(key);
            ctx.addIssue({ code: 'custom', path: [...bot.path, key], message: what(keyOf(holder)) });
          }
        }
      }
    });
}

type Path = Array<string | number>;

export type ThreadlineConfig = z.output<ReturnType<typeof configSchema>>;
export type PlatformName = keyof ThreadlineConfig['platforms'];
/** One bot's section of a platform, as validated. */
export type BotSection<P extends PlatformName> = Exclude<NonNullable<ThreadlineConfig['platforms'][P]>, unknown[]>;

/** One configured bot: its platform, its section, and where the section is in the file (for messages). */
export type ConfiguredBot = { [P in PlatformName]: { platform: P; section: BotSection<P>; path: Path } }[PlatformName];

/** Every bot the config configures, platform by platform in the file's order (a list section gives several). */
export function configuredBots(platforms: ThreadlineConfig['platforms']): ConfiguredBot[] {
  const bots: ConfiguredBot[] = [];
  for (const platform of Object.keys(platforms) as PlatformName[]) {
    const value = platforms[platform];
    if (!value) continue;
    const sections = Array.isArray(value) ? value : [value];
    sections.forEach((section, i) => {
      const path: Path = Array.isArray(value) ? ['platforms', platform, i] : ['platforms', platform];
      bots.push({ platform, section, path } as ConfiguredBot);
    });
  }
  return bots;
}

type Identity = [key: string, identity: string, message: (holder: string) => string];

const once = (what: string) => (holder: string) => `${what} as ${holder}: each bot may be configured once`;

/** What makes two sections the same bot (or one webhook), as far as the file can tell. Never quotes a secret. */
function identities(bot: ConfiguredBot): Identity[] {
  switch (bot.platform) {
    case 'telegram': {
      // A Bot API token is `<bot id>:<secret>`: two tokens of one bot (one revoked, one new) name the same id.
      const id = /^(\d+):/.exec(bot.section.token)?.[1];
      const { webhook } = bot.section;
      const found: Identity[] = [['token', `telegram token ${bot.section.token}`, once('the same token')]];
      if (id) found.push(['token', `telegram bot ${id}`, once(`the same bot (id ${id}, the token's first part)`)]);
      // Telegram would post both bots' updates to one server, which refuses the other bot's (wrong secret).
      if (webhook) found.push(['webhook', `telegram webhook ${webhook.url}`, (holder) => `the same webhook url as ${holder}: each bot needs a webhook of its own`]);
      return found;
    }
    case 'slack':
      return [['token', `slack token ${bot.section.token}`, once('the same token')]];
    case 'discord':
      return [['token', `discord token ${bot.section.token}`, once('the same token')]];
    case 'whatsapp':
      return [['phoneNumberId', `whatsapp number ${bot.section.phoneNumberId}`, once('the same phone number id')]];
  }
}

/** `platforms.telegram[1].token`: a key as messages name it. */
export function keyOf(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}
