import { Command, Option } from 'commander';
import { configuredBots, keyOf, type ConfiguredBot, type ThreadlineConfig } from '../../../config/config-schema.js';
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

/**
 * `threadline bot run --config <file>`: every bot the file configures (a platform's section may list several), in one
 * process, on one store and agent; each bot has a runner of its own, on its own inbox queue (`telegram:<bot id>`).
 */
export function registerConfigFileBot(bot: Command): void {
  const command = bot
    .command('run')
    .description('run the platforms a config file configures in one process, on one store (see config/threadline.example.yaml)')
    .addOption(new Option('--config <file>', 'YAML config file; secrets by env reference: ${NAME} or { env: NAME }').makeOptionMandatory())
    .addOption(new Option('--check', 'validate the config file (env references included) and exit'));
  addExamples(command, ['threadline bot run --config config/threadline.example.yaml --check', 'threadline bot run --config config/threadline.example.yaml']);
  command.action(async (options: ConfigCliOptions) => {
      const config = await loadConfig(options.config);
      const bots = configuredBots(config.platforms);
      if (options.check) {
        process.stdout.write(`${options.config}: valid (${describeBots(bots)})\n`);
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
        bots.map((bot) => ({ label: keyOf(bot.path), options: runnerOptions(bot.section, shared), makeAdapter: adapterFactory(bot, fail) })),
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
  const { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency, maxAttempts, llmRetryWindow, sendLimits, sendLimit, sendWait, vision, maxMediaMb, maxDocumentChars, maxPdfPages, transcriptionModel } = {
    ...shared,
    ...withoutUndefined(section),
  };
  return { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency, maxAttempts, llmRetryWindow, sendLimits, sendLimit, sendWait, vision, maxMediaMb, maxDocumentChars, maxPdfPages, transcriptionModel };
}

/** `telegram, slack`, or `telegram ×2, slack` when a platform lists several bots. */
function describeBots(bots: ConfiguredBot[]): string {
  const counts = new Map<string, number>();
  for (const bot of bots) counts.set(bot.platform, (counts.get(bot.platform) ?? 0) + 1);
  return [...counts].map(([platform, n]) => (n > 1 ? `${platform} ×${n}` : platform)).join(', ');
}

/** The same adapter factories as `threadline bot <platform>`: a section's keys are that command's flags. */
function adapterFactory(bot: ConfiguredBot, fail: (error: Error, stop: () => void) => void): PlatformBot['makeAdapter'] {
  switch (bot.platform) {
    case 'telegram':
      return (context) => makeTelegramAdapter(bot.section, context);
    case 'slack':
      return (context) => makeSlackAdapter(bot.section, context);
    case 'discord':
      return (context) => makeDiscordAdapter(bot.section, { ...context, onFatal: (error) => fail(error, context.stop) });
    case 'whatsapp':
      return (context) => makeWhatsAppAdapter(bot.section, context);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
