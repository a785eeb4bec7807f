import { Command, Option } from 'commander';
import type { PlatformName, ThreadlineConfig } from '../../../config/config-schema.js';
import { loadConfig } from '../../../config/load-config.js';
import { makeDiscordAdapter } from './discord.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBots, type PlatformBot, type PlatformRunnerOptions } from './run-bots.js';
import { makeSlackAdapter } from './slack.js';
import { makeTelegramAdapter } from './telegram.js';
import { makeWhatsAppAdapter } from './whatsapp.js';
import { addExamples } from '../../help-text.js';

interface ConfigCliOptions {
  config: string;
  check?: boolean;
}

/** `threadline bot run --config <file>`: every platform the file configures, in one process, on one store and agent. */
export function registerConfigFileBot(bot: Command): void {
  const command = bot
    .command('run')
    .description('run the platforms a config file configures in one process, on one store (see config/threadline.example.yaml)')
    .addOption(new Option('--config <file>', 'YAML config file; secrets by env reference: ${NAME} or { env: NAME }').makeOptionMandatory())
    .addOption(new Option('--check', 'validate the config file (env references included) and exit'));
  addExamples(command, ['threadline bot run --config config/threadline.example.yaml --check', 'threadline bot run --config config/threadline.example.yaml']);
  command.action(async (options: ConfigCliOptions) => {
      const config = await loadConfig(options.config);
      const platforms = (Object.keys(config.platforms) as PlatformName[]).filter((name) => config.platforms[name]);
      if (options.check) {
        process.stdout.write(`${options.config}: valid (${platforms.join(', ')})\n`);
        return;
      }
      const shared = sharedOptions(config);
      // A platform that fails for good (Discord refusing the gateway) stops every platform; the process then fails.
      let failure: Error | undefined;
      const fail = (error: Error, stop: () => void) => {
        failure ??= error;
        stop();
      };
      await runBots(
        shared,
        platforms.map((name) => ({ options: runnerOptions(config.platforms[name]!, shared), makeAdapter: adapterFactory(name, config.platforms, fail) })),
      );
      if (failure) throw failure;
    });
}

/** The CLI's own defaults, so a config file and the flags can never disagree about them. */
function cliDefaults(): RunnerCliOptions {
  return addRunnerOptions(new Command()).parse([], { from: 'user' }).opts<RunnerCliOptions>();
}

function sharedOptions(config: ThreadlineConfig): RunnerCliOptions {
  const { platforms: _, ...topLevel } = config;
  return { ...cliDefaults(), ...withoutUndefined(topLevel) };
}

/** The shared runner options with the platform section's overrides. */
function runnerOptions(section: Partial<PlatformRunnerOptions>, shared: RunnerCliOptions): PlatformRunnerOptions {
  const { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency, maxAttempts, llmRetryWindow } = {
    ...shared,
    ...withoutUndefined(section),
  };
  return { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency, maxAttempts, llmRetryWindow };
}

/** The same adapter factories as `threadline bot <platform>`: a section's keys are that command's flags. */
function adapterFactory(
  name: PlatformName,
  platforms: ThreadlineConfig['platforms'],
  fail: (error: Error, stop: () => void) => void,
): PlatformBot['makeAdapter'] {
  switch (name) {
    case 'telegram':
      return (context) => makeTelegramAdapter(platforms.telegram!, context);
    case 'slack':
      return (context) => makeSlackAdapter(platforms.slack!, context);
    case 'discord':
      return (context) => makeDiscordAdapter(platforms.discord!, { ...context, onFatal: (error) => fail(error, context.stop) });
    case 'whatsapp':
      return (context) => makeWhatsAppAdapter(platforms.whatsapp!, context);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
