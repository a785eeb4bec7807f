import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { PLATFORMS } from '../../adapters/platforms.js';
import { registerBotCommands } from '../../src/cli/commands/bot/index.js';
import { oneLineUsageErrors } from '../../src/cli/run-cli.js';
import { addSettingFlags, settingsFromFlags } from '../../src/cli/setting-flags.js';
import { configuredBots } from '../../src/config/config-schema.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { runnerSettings } from '../../src/settings/runner-settings.js';
import { kebab, metaOf, unwrapSetting } from '../../src/settings/setting.js';
import { runTs } from '../support/processes.js';
import { MAIN } from '../whatsapp/whatsapp-harness.js';

/*
 * Each platform is declared once (adapters/<platform>/platform.ts): its `threadline bot <platform>` flags and its
 * config section are derived from the same settings, so they must hold the same keys and give the same verdicts.
 */

/** The real `threadline bot …` commands, failing instead of exiting, their output kept. */
function botProgram() {
  const errors: string[] = [];
  const program = oneLineUsageErrors(new Command('threadline')).configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => {} });
  registerBotCommands(program);
  const bot = program.commands.find((command) => command.name() === 'bot')!;
  for (const command of [program, bot, ...bot.commands]) command.exitOverride();
  return { program, bot, errors };
}

/** A value each kind of setting accepts, as config YAML and as the flag's text. */
function sampleOf(field: z.ZodType): { config: unknown; flag?: string } {
  const { def, defaultValue } = unwrapSetting(field);
  if (def.type === 'boolean') return { config: defaultValue !== true };
  if (def.type === 'enum') return { config: Object.values(def.entries!).at(-1), flag: Object.values(def.entries!).at(-1) };
  if (def.type === 'array') return { config: ['123'], flag: '123' };
  return { config: '123', flag: '123' };
}

/** The verdict of a config file and of the flags on one setting: the message, or 'ok'. */
function configVerdict(yaml: string): string {
  try {
    parseConfig(yaml, 'bot.yaml', {});
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

function flagVerdict(args: string[]): string {
  const { program, errors } = botProgram();
  try {
    // Only refused flags are tried here: accepted ones would start the bot.
    program.parse(['bot', ...args], { from: 'user' });
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(CommanderError);
    return errors.join('');
  }
}

describe('platform declarations', () => {
  it.each(PLATFORMS.map((platform) => [platform.name, platform] as const))('%s: every setting has a description, a flag (or its variable) and a config key', (name, platform) => {
    const command = botProgram().bot.commands.find((c) => c.name() === name)!;
    const longs = command.options.map((option) => option.long);
    expect(command.description()).toBe(platform.description);

    const section: Record<string, unknown> = {};
    const argv: string[] = [];
    const env: Record<string, string> = {};
    for (const [key, field] of Object.entries(platform.settings)) {
      const meta = metaOf(field as z.ZodType);
      expect(meta?.description, `${name}.${key} has a description`).toBeTruthy();
      const sample = sampleOf(field as z.ZodType);
      section[key] = sample.config;
      if (meta!.envOnly) {
        expect(meta!.env, `${name}.${key} is given by a variable`).toBeTruthy();
        env[meta!.env!] = String(sample.config);
        continue;
      }
      const flag = sample.flag === undefined && sample.config === false ? `--no-${kebab(key)}` : `--${kebab(key)}`;
      expect(longs, `${name}.${key} has the flag ${flag}`).toContain(flag);
      argv.push(flag, ...(sample.flag === undefined ? [] : [sample.flag]));
    }
    // Every runner setting too, on every platform command.
    for (const key of Object.keys(runnerSettings)) expect(longs.some((long) => long === `--${kebab(key)}` || long === `--no-${kebab(key)}`), key).toBe(true);

    // The same values through the config section and through the flags: the same settings.
    const yaml = `platforms:\n  ${name}: ${JSON.stringify(section)}\n`;
    const [configured] = configuredBots(parseConfig(yaml, 'bot.yaml', {}).platforms);
    const parsed = addSettingFlags(new Command().exitOverride(), platform.settings).parse(argv, { from: 'user' }).opts();
    expect(settingsFromFlags(platform.settings, parsed, { env, check: platform.check })).toEqual(configured.section);
  });

  it.each([
    ['concurrency', '0', 'telegram', 'expected a whole number from 1'],
    ['max-attempts', '0', 'slack', 'expected a whole number from 1'],
    ['max-media-mb', '-1', 'discord', 'expected a number above 0'],
    ['stream-edit-interval', 'soon', 'whatsapp', 'expected a whole number from 0'],
    ['send-limit', 'private=fast', 'telegram', 'expected <name>=<rate>/s or /min'],
    ['port', '70000', 'whatsapp', 'expected a whole number from 0 to 65535'],
    ['shards', '0', 'discord', 'expected a whole number from 1'],
    ['command-guilds', 'general', 'discord', 'expected a Discord id'],
  ])('--%s %s and its config key get the same verdict', (flag, value, platform, expected) => {
    const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const listed = ['sendLimit', 'commandGuilds'].includes(key);
    const yamlValue = listed ? `[${JSON.stringify(value)}]` : JSON.stringify(value);
    const minimal: Record<string, string> = {
      telegram: 'token: "1:a"',
      slack: 'token: t, signingSecret: s',
      discord: 'token: d',
      whatsapp: 'accessToken: a, phoneNumberId: 1, verifyToken: v, appSecret: s',
    };
    const runner = key in runnerSettings;
    // At the top level for runner settings, in the section for the platform's own.
    const yaml = runner ? `${key}: ${yamlValue}\nplatforms:\n  ${platform}: { ${minimal[platform]} }\n` : `platforms:\n  ${platform}: { ${minimal[platform]}, ${key}: ${yamlValue} }\n`;
    expect(configVerdict(yaml)).toContain(expected);
    expect(flagVerdict([platform, `--${flag}`, value])).toContain(expected);
  });

  it.each([
    ['telegram', ['--token', '1:a', '--webhook-url', 'https://x/tg'], 'token: "1:a", webhookUrl: https://x/tg', 'webhookSecret', 'is required in webhook mode'],
    ['slack', ['--token', 't'], 'token: t', 'signingSecret', 'is required in HTTP mode'],
    ['slack', ['--token', 't', '--socket-mode'], 'token: t, socketMode: true', 'appToken', 'is required with socket mode'],
  ])('%s %j: the checks across settings give the same verdict as the config section', (name, args, yamlSection, key, expected) => {
    const platform = PLATFORMS.find((p) => p.name === name)!;
    const flags = addSettingFlags(new Command().exitOverride(), platform.settings).parse(args, { from: 'user' }).opts();
    expect(() => settingsFromFlags(platform.settings, flags, { env: {}, check: platform.check })).toThrow(new RegExp(`^--${kebab(key)} or \\$[A-Z_]+: ${expected}`));
    expect(configVerdict(`platforms:\n  ${name}: { ${yamlSection} }\n`)).toContain(`platforms.${name}.${key}: ${expected}`);
  });

  it('the CLI refuses --concurrency 0 in one line, exit 2, as the config file refuses concurrency: 0', async () => {
    const cli = await runTs(MAIN, ['bot', 'telegram', '--token', '1:a', '--concurrency', '0'], { env: { TELEGRAM_BOT_TOKEN: '' } });
    expect(cli).toMatchObject({ code: 2, stdout: '', stderr: `threadline: option '--concurrency <n>' argument '0' is invalid. expected a whole number from 1, got "0" (add --help for usage)\n` });
    expect(configVerdict('concurrency: 0\nplatforms:\n  telegram: { token: "1:a" }\n')).toBe('config file bot.yaml: concurrency: expected a whole number from 1, got 0');
  });

  it('a setting missing from both the flags and the environment is one line naming both', async () => {
    const cli = await runTs(MAIN, ['bot', 'whatsapp', '--phone-number-id', '1'], { env: { WHATSAPP_ACCESS_TOKEN: 'a', WHATSAPP_VERIFY_TOKEN: '', WHATSAPP_APP_SECRET: '' } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe(
      "threadline: 2 problems: $WHATSAPP_VERIFY_TOKEN is required (chosen by you when registering the webhook in the Meta app; Meta echoes it in the GET handshake); $WHATSAPP_APP_SECRET is required (the Meta app's secret: inbound POSTs are signed with it)\n",
    );
  });
});
