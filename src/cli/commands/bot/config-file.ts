import { Option, type Command } from 'commander';
import { z } from 'zod';
import { configuredBots, keyOf, platformOf, type ConfiguredBot, type ThreadlineConfig } from '../../../config/config-schema.js';
import { loadConfig } from '../../../config/load-config.js';
import { processSettings, runnerSettings, storeAndModelSettings, type RunnerSettings } from '../../../settings/runner-settings.js';
import type { RunnerCliOptions } from './runner-options.js';
import { runBots, type PlatformBot } from './run-bots.js';
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
    await runBots(
      shared,
      bots.map((bot) => ({ label: keyOf(bot.path), options: botRunnerSettings(bot, shared), makeAdapter: adapterFactory(bot, (error) => (failure ??= error)) })),
    );
    if (failure) throw failure;
  });
}

const runnerKeys = Object.keys(runnerSettings) as Array<keyof RunnerSettings>;

/** The top level's settings, the defaults filled in by the same schemas as the flags'. */
function sharedOptions(config: ThreadlineConfig): RunnerCliOptions {
  const { platforms: _, ...topLevel } = config;
  return {
    ...topLevel,
    ...z.object(storeAndModelSettings).parse(topLevel),
    ...z.object(processSettings).parse(topLevel),
    ...z.object(runnerSettings).parse(topLevel),
  };
}

/** The shared runner settings with the bot's section's overrides. */
function botRunnerSettings(bot: ConfiguredBot, shared: RunnerSettings): RunnerSettings {
  const overrides = Object.fromEntries(runnerKeys.filter((key) => bot.section[key] !== undefined).map((key) => [key, bot.section[key]]));
  return Object.fromEntries(runnerKeys.map((key) => [key, overrides[key] ?? shared[key]])) as RunnerSettings;
}

/** `telegram, slack`, or `telegram ×2, slack` when a platform lists several bots. */
function describeBots(bots: ConfiguredBot[]): string {
  const counts = new Map<string, number>();
  for (const bot of bots) counts.set(bot.platform, (counts.get(bot.platform) ?? 0) + 1);
  return [...counts].map(([platform, n]) => (n > 1 ? `${platform} ×${n}` : platform)).join(', ');
}

/** The same adapter factory as `threadline bot <platform>`: a section's keys are that command's flags. */
function adapterFactory(bot: ConfiguredBot, failed: (error: Error) => void): PlatformBot['makeAdapter'] {
  return ({ store, logger, stop }) =>
    platformOf(bot).makeAdapter(bot.section, {
      leases: store,
      logger,
      fail: (error) => {
        failed(error);
        stop();
      },
    });
}
