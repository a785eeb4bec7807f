import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configuredBots } from '../../src/config/config-schema.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';

const EXAMPLE = readFileSync(new URL('../../config/threadline.example.yaml', import.meta.url), 'utf8');
const ENV = {
  DATABASE_URL: 'postgres://bot:pw@db/threadline',
  TELEGRAM_BOT_TOKEN: '123:tg-token',
  SLACK_BOT_TOKEN: 'xoxb-slack',
  SLACK_SIGNING_SECRET: 'slack-signing',
  DISCORD_BOT_TOKEN: 'discord-token',
  WHATSAPP_ACCESS_TOKEN: 'wa-token',
  WHATSAPP_PHONE_NUMBER_ID: '110000000000001',
  WHATSAPP_VERIFY_TOKEN: 'wa-verify',
  WHATSAPP_APP_SECRET: 'wa-secret',
};
const MINIMAL = 'platforms:\n  whatsapp: { accessToken: a, phoneNumberId: 1, verifyToken: v, appSecret: s }\n';

/** The one-line message a config gives, or undefined when it is valid. */
function problem(yaml: string, env: NodeJS.ProcessEnv = ENV): string | undefined {
  try {
    parseConfig(yaml, 'bot.yaml', env);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
}

describe('config file schema', () => {
  it('accepts the example, resolving ${NAME} and { env: NAME } references', () => {
    const config = parseConfig(EXAMPLE, 'example.yaml', ENV);
    expect(config).toMatchObject({
      db: 'postgres://bot:pw@db/threadline',
      model: 'gpt-4o-mini',
      groupPolicy: 'mention_only',
      concurrency: 4,
      platforms: {
        telegram: { token: '123:tg-token', allow: ['123456789'] },
        slack: { token: 'xoxb-slack', signingSecret: 'slack-signing', port: 3000, allow: ['U0123ABCD'] },
        discord: { token: 'discord-token', shards: 1, allow: ['123456789012345678'] },
        whatsapp: { accessToken: 'wa-token', phoneNumberId: '110000000000001', verifyToken: 'wa-verify', appSecret: 'wa-secret', port: 8081, allow: ['15551234567'] },
      },
    });
    const [telegram, slack] = configuredBots(config.platforms);
    expect(telegram).toMatchObject({ platform: 'telegram', path: ['platforms', 'telegram'] });
    expect(telegram.section.webhookUrl).toBeUndefined();
    expect(slack.section.socketMode).toBeUndefined();
    expect(Object.keys(config.platforms)).toEqual(['telegram', 'slack', 'discord', 'whatsapp']);
  });

  it('takes every option of the Slack and Discord commands, with their defaults', () => {
    const yaml = [
      'platforms:',
      '  slack: { token: t, socketMode: true, appToken: "${SLACK_APP_TOKEN}", apiUrl: http://127.0.0.1:1/api/, sessionScope: user, slashCommand: /ask-bot }',
      '  discord: { token: { env: DISCORD_BOT_TOKEN }, apiUrl: http://127.0.0.1:2/api, shards: "${SHARDS}", concurrency: 2, commandGuilds: [\'123456789012345678\'] }',
      '',
    ].join('\n');
    const config = parseConfig(yaml, 'bot.yaml', { SLACK_APP_TOKEN: 'xapp-1', DISCORD_BOT_TOKEN: 'd', SHARDS: '4' });
    expect(config.platforms).toEqual({
      slack: { token: 't', socketMode: true, appToken: 'xapp-1', apiUrl: 'http://127.0.0.1:1/api/', port: 3000, sessionScope: 'user', slashCommand: '/ask-bot' },
      discord: { token: 'd', apiUrl: 'http://127.0.0.1:2/api', shards: 4, concurrency: 2, commandGuilds: ['123456789012345678'] },
    });
    expect(parseConfig('platforms:\n  discord: { token: d }\n  slack: { token: t, signingSecret: s, port: 0 }\n', 'bot.yaml', {}).platforms).toEqual({
      slack: { token: 't', signingSecret: 's', port: 0, slashCommand: '/threadline' },
      discord: { token: 'd', shards: 1 },
    });
    // A bare snowflake is rounded by YAML: refused, not registered in some other guild.
    expect(problem('platforms:\n  discord: { token: d, commandGuilds: [123456789012345678] }\n')).toMatch(/platforms\.discord\.commandGuilds\[0\].*quote Discord ids/);
    expect(problem('platforms:\n  discord: { token: d, commandGuilds: [general] }\n')).toMatch(/expected a Discord id/);
  });

  it('resolves references inside longer strings and numbers given as text', () => {
    const config = parseConfig(`db: postgres://bot:\${PGPASSWORD}@db/x\nconcurrency: \${WORKERS}\n${MINIMAL}`, 'bot.yaml', { PGPASSWORD: 's3cret', WORKERS: '8' });
    expect(config).toMatchObject({ db: 'postgres://bot:s3cret@db/x', concurrency: 8, platforms: { whatsapp: { phoneNumberId: '1', port: 8080 } } });
  });

  it('takes the LLM timeout in seconds, fractions and references included', () => {
    expect(parseConfig(`llmTimeout: 2.5\n${MINIMAL}`, 'bot.yaml', {}).llmTimeout).toBe(2.5);
    expect(parseConfig(`llmTimeout: \${LLM_TIMEOUT}\n${MINIMAL}`, 'bot.yaml', { LLM_TIMEOUT: '90' }).llmTimeout).toBe(90);
  });

  it('takes a list of bots for a platform, each section with its own overrides', () => {
    const yaml = [
      'concurrency: 2',
      'platforms:',
      '  telegram:',
      '    - { token: "${TG_A}", allow: [1] }',
      '    - { token: { env: TG_B }, webhookUrl: https://x/tg-b, webhookSecret: s, port: 8443, concurrency: 8 }',
      '  whatsapp: { accessToken: a, phoneNumberId: 1, verifyToken: v, appSecret: s }',
      '',
    ].join('\n');
    const config = parseConfig(yaml, 'bot.yaml', { TG_A: '111:a', TG_B: '222:b' });
    expect(configuredBots(config.platforms)).toEqual([
      { platform: 'telegram', path: ['platforms', 'telegram', 0], section: { token: '111:a', port: 8080, allow: ['1'] } },
      { platform: 'telegram', path: ['platforms', 'telegram', 1], section: { token: '222:b', webhookUrl: 'https://x/tg-b', webhookSecret: 's', port: 8443, concurrency: 8 } },
      { platform: 'whatsapp', path: ['platforms', 'whatsapp'], section: { accessToken: 'a', phoneNumberId: '1', verifyToken: 'v', appSecret: 's', port: 8080, host: '0.0.0.0' } },
    ]);
    // Two bots of the other platforms too; one-item lists are lists.
    expect(configuredBots(parseConfig('platforms:\n  discord: [{ token: d1 }, { token: d2 }]\n  slack: [{ token: t, signingSecret: s }]\n', 'bot.yaml', {}).platforms).map((b) => b.path)).toEqual([
      ['platforms', 'slack', 0],
      ['platforms', 'discord', 0],
      ['platforms', 'discord', 1],
    ]);
  });

  it('still takes the nested webhook form of earlier config files, as the flat keys the flags name', () => {
    const nested = parseConfig('platforms:\n  telegram: { token: "1:a", webhook: { url: https://x/tg, secret: "${TG_SECRET}", port: 8443 } }\n', 'bot.yaml', { TG_SECRET: 's' });
    const flat = parseConfig('platforms:\n  telegram: { token: "1:a", webhookUrl: https://x/tg, webhookSecret: s, port: 8443 }\n', 'bot.yaml', {});
    expect(nested).toEqual(flat);
    expect(flat.platforms.telegram).toEqual({ token: '1:a', webhookUrl: 'https://x/tg', webhookSecret: 's', port: 8443 });
    // The port may stay at its default, and the checks see the normalized keys.
    expect(configuredBots(parseConfig('platforms:\n  telegram: { token: "1:a", webhook: { url: https://x/tg, secret: s } }\n', 'bot.yaml', {}).platforms)[0].section).toMatchObject({ webhookUrl: 'https://x/tg', port: 8080 });
    expect(problem('platforms:\n  telegram: { token: "1:a", webhook: { url: https://x/tg } }\n')).toMatch(/platforms\.telegram\.webhookSecret: is required in webhook mode/);
  });

  it('takes the ops server at the top level (one per process), references included', () => {
    expect(parseConfig(`opsPort: \${OPS_PORT}\nopsHost: 0.0.0.0\n${MINIMAL}`, 'bot.yaml', { OPS_PORT: '9464' })).toMatchObject({ opsPort: 9464, opsHost: '0.0.0.0' });
    expect(parseConfig(`opsPort: 0\n${MINIMAL}  telegram: { token: t, webhookUrl: https://x/tg, webhookSecret: s, port: 0 }\n`, 'bot.yaml', {}).opsPort).toBe(0);
  });

  it('takes send limits at the top level or per bot, as --send-limit values', () => {
    const config = parseConfig(`sendWait: 2.5\nsendLimit: [private=2/s:4]\n${MINIMAL}  telegram: { token: t, sendLimits: false, sendLimit: [group=20/min:5] }\n`, 'bot.yaml', {});
    expect(config).toMatchObject({ sendWait: 2.5, sendLimit: ['private=2/s:4'], platforms: { telegram: { sendLimits: false, sendLimit: ['group=20/min:5'] } } });
  });

  it.each([
    ['a bad send limit', `sendLimit: [private=fast]\n${MINIMAL}`, ENV, 'config file bot.yaml: sendLimit[0]: expected <name>=<rate>/s or /min, optionally :<burst> (such as private=1/s:3 or group=20/min), got "private=fast"'],
    ['an unset variable', EXAMPLE, { ...ENV, WHATSAPP_APP_SECRET: undefined }, 'config file bot.yaml: platforms.whatsapp.appSecret: environment variable WHATSAPP_APP_SECRET is not set'],
    ['an empty variable', EXAMPLE, { ...ENV, TELEGRAM_BOT_TOKEN: '' }, 'config file bot.yaml: platforms.telegram.token: environment variable TELEGRAM_BOT_TOKEN is not set'],
    ['an unknown key', 'platforms:\n  telegram: { tokn: x }\n', ENV, 'config file bot.yaml: platforms.telegram.tokn: unknown key (did you mean token?)'],
    ['an unknown platform', 'platforms:\n  telegarm: { token: x }\n', ENV, 'config file bot.yaml: 2 problems: platforms.telegarm: unknown key (did you mean telegram?); platforms: configure at least one platform (telegram, slack, discord, whatsapp)'],
    ['a missing key', 'platforms:\n  telegram: { apiRoot: http://x }\n', ENV, 'config file bot.yaml: platforms.telegram.token: is required'],
    ['no platforms key', 'model: x\n', ENV, 'config file bot.yaml: platforms: is required'],
    ['no platform at all', 'platforms: {}\n', ENV, 'config file bot.yaml: platforms: configure at least one platform (telegram, slack, discord, whatsapp)'],
    ['a bad choice', `groupPolicy: everyone\n${MINIMAL}`, ENV, 'config file bot.yaml: groupPolicy: expected one of mention_only, respond_all, command_only'],
    ['a bad number', `concurrency: 0\n${MINIMAL}`, ENV, 'config file bot.yaml: concurrency: expected a whole number from 1, got 0'],
    ['a zero LLM timeout', `llmTimeout: 0\n${MINIMAL}`, ENV, 'config file bot.yaml: llmTimeout: expected a number of seconds above 0, e.g. 60 or 2.5, got 0'],
    ['a bad allow entry', `allow: [1, { id: 2 }]\n${MINIMAL}`, ENV, 'config file bot.yaml: allow[1]: expected text, ${NAME} or { env: NAME }'],
    ['two servers on one port', `${MINIMAL}  telegram: { token: t, webhookUrl: https://x/tg, webhookSecret: s }\n`, ENV, 'config file bot.yaml: platforms.whatsapp.port: port 8080 is already platforms.telegram.port'],
    ['an unset Discord token', EXAMPLE, { ...ENV, DISCORD_BOT_TOKEN: undefined }, 'config file bot.yaml: platforms.discord.token: environment variable DISCORD_BOT_TOKEN is not set'],
    ['an unknown Slack key', 'platforms:\n  slack: { token: t, signingSecert: s }\n', ENV, 'config file bot.yaml: platforms.slack.signingSecert: unknown key (did you mean signingSecret?)'],
    ['an unknown Discord key', 'platforms:\n  discord: { token: t, shard: 2 }\n', ENV, 'config file bot.yaml: platforms.discord.shard: unknown key (did you mean shards?)'],
    ['a Discord section without token', 'platforms:\n  discord: { shards: 2 }\n', ENV, 'config file bot.yaml: platforms.discord.token: is required'],
    ['Slack HTTP mode without its secret', 'platforms:\n  slack: { token: t }\n', ENV, 'config file bot.yaml: platforms.slack.signingSecret: is required in HTTP mode (or turn on socket mode, with an app token)'],
    ['Slack Socket Mode without its token', 'platforms:\n  slack: { token: t, socketMode: true }\n', ENV, 'config file bot.yaml: platforms.slack.appToken: is required with socket mode (an xapp-… token with connections:write)'],
    ['a bad shard count', 'platforms:\n  discord: { token: t, shards: 0 }\n', ENV, 'config file bot.yaml: platforms.discord.shards: expected a whole number from 1, got 0'],
    ['a bad socketMode', 'platforms:\n  slack: { token: t, socketMode: yes please, appToken: a }\n', ENV, expect.stringMatching(/^config file bot\.yaml: platforms\.slack\.socketMode: /)],
    ['the ops server on a webhook port', `opsPort: 8080\n${MINIMAL}`, ENV, 'config file bot.yaml: platforms.whatsapp.port: port 8080 is already opsPort'],
    ['an ops port in a platform section', 'platforms:\n  discord: { token: t, opsPort: 9464 }\n', ENV, 'config file bot.yaml: platforms.discord.opsPort: unknown key'],
    ['a bad ops port', `opsPort: 70000\n${MINIMAL}`, ENV, 'config file bot.yaml: opsPort: expected a whole number from 0 to 65535, got 70000'],
    ['Slack and WhatsApp on one port', `${MINIMAL}  slack: { token: t, signingSecret: s, port: 8080 }\n`, ENV, 'config file bot.yaml: platforms.whatsapp.port: port 8080 is already platforms.slack.port'],
    ['several problems, all at once', `modle: x\nfoo: 1\n${MINIMAL}  telegram: { token: "\${A}\${B}" }\n`, {}, 'config file bot.yaml: 3 problems: modle: unknown key (did you mean model?); foo: unknown key; platforms.telegram.token: environment variables A, B are not set'],
    ['the example with no variables set', EXAMPLE, {}, expect.stringMatching(/^config file bot\.yaml: \d+ problems: .*TELEGRAM_BOT_TOKEN.*WHATSAPP_APP_SECRET/)],
    ['an unknown key in a list of bots', 'platforms:\n  telegram:\n    - { token: "1:a" }\n    - { tokn: "2:b" }\n', ENV, 'config file bot.yaml: platforms.telegram[1].tokn: unknown key (did you mean token?)'],
    ['an empty list of bots', 'platforms:\n  telegram: []\n', ENV, 'config file bot.yaml: platforms.telegram: list at least one bot, or remove the platform'],
    ['a section that is no section', 'platforms:\n  telegram: yes\n', ENV, 'config file bot.yaml: platforms.telegram: expected a section (one bot), or a list of sections (several bots)'],
    ['one token twice', 'platforms:\n  telegram: [{ token: "1:a" }, { token: "1:a" }]\n', ENV, 'config file bot.yaml: platforms.telegram[1].token: the same token as platforms.telegram[0].token: each bot may be configured once'],
    ['two tokens of one Telegram bot', 'platforms:\n  telegram: [{ token: "1:old" }, { token: "1:new" }]\n', ENV, "config file bot.yaml: platforms.telegram[1].token: the same bot (id 1, the token's first part) as platforms.telegram[0].token: each bot may be configured once"],
    ['two Telegram webhooks on one port', 'platforms:\n  telegram:\n    - { token: "1:a", webhookUrl: https://x/a, webhookSecret: s }\n    - { token: "2:b", webhookUrl: https://x/b, webhookSecret: s }\n', ENV, 'config file bot.yaml: platforms.telegram[1].port: port 8080 is already platforms.telegram[0].port'],
    ['two Telegram bots on one webhook port and path', 'platforms:\n  telegram:\n    - { token: "1:a", webhookUrl: https://x/tg, webhookSecret: s }\n    - { token: "2:b", webhookUrl: https://x/tg, webhookSecret: s }\n', ENV, 'config file bot.yaml: 2 problems: platforms.telegram[1].port: port 8080 is already platforms.telegram[0].port; platforms.telegram[1].webhookUrl: the same webhook url as platforms.telegram[0].webhookUrl: each bot needs a webhook of its own'],
    ['a Telegram webhook without its secret', 'platforms:\n  telegram: { token: "1:a", webhookUrl: https://x/tg }\n', ENV, 'config file bot.yaml: platforms.telegram.webhookSecret: is required in webhook mode (1-256 characters A-Z, a-z, 0-9, _ and -)'],
    ['a typo in the nested webhook form', 'platforms:\n  telegram: { token: "1:a", webhook: { ulr: https://x/tg, secret: s } }\n', ENV, 'config file bot.yaml: platforms.telegram.webhook.ulr: unknown key (did you mean url?)'],
    ['one Discord token twice', 'platforms:\n  discord: [{ token: d }, { token: d }]\n', ENV, 'config file bot.yaml: platforms.discord[1].token: the same token as platforms.discord[0].token: each bot may be configured once'],
    ['one WhatsApp number twice', 'platforms:\n  whatsapp:\n    - { accessToken: a, phoneNumberId: 1, verifyToken: v, appSecret: s, port: 0 }\n    - { accessToken: b, phoneNumberId: 1, verifyToken: v, appSecret: s, port: 0 }\n', ENV, 'config file bot.yaml: platforms.whatsapp[1].phoneNumberId: the same phone number id as platforms.whatsapp[0].phoneNumberId: each bot may be configured once'],
    ['a listed Slack bot on a taken port', `${MINIMAL}  slack: [{ token: t, signingSecret: s, port: 0 }, { token: u, signingSecret: s, port: 8080 }]\n`, ENV, 'config file bot.yaml: platforms.whatsapp.port: port 8080 is already platforms.slack[1].port'],
    ['broken YAML', 'platforms:\n  telegram: [\n', ENV, expect.stringMatching(/^config file bot\.yaml: not valid YAML at line \d+: /)],
  ])('rejects %s in one line naming the key', (_, yaml, env, expected) => {
    expect(problem(yaml, env)).toEqual(expected);
  });
});
