import { Command, Option } from 'commander';
import type { PlatformName, TelegramConfig, ThreadlineConfig, WhatsAppConfig } from '../../../config/config-schema.js';
import { loadConfig } from '../../../config/load-config.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBots, type PlatformBot, type PlatformRunnerOptions } from './run-bots.js';

interface ConfigCliOptions {
  config: string;
  check?: boolean;
}

/** `threadline bot run --config <file>`: every platform the file configures, in one process, on one store and agent. */
export function registerConfigFileBot(bot: Command): void {
  bot
    .command('run')
    .description('run the platforms a config file configures in one process, on one store (see config/threadline.example.yaml)')
    .addOption(new Option('--config <file>', 'YAML config file; secrets by env reference: ${NAME} or { env: NAME }').makeOptionMandatory())
    .addOption(new Option('--check', 'validate the config file (env references included) and exit'))
    .action(async (options: ConfigCliOptions) => {
      const config = await loadConfig(options.config);
      const platforms = (Object.keys(config.platforms) as PlatformName[]).filter((name) => config.platforms[name]);
      if (options.check) {
        process.stdout.write(`${options.config}: valid (${platforms.join(', ')})\n`);
        return;
      }
      const shared = sharedOptions(config);
      await runBots(shared, platforms.map((name) => platformBot(name, config, shared)));
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

function platformBot(name: PlatformName, config: ThreadlineConfig, shared: RunnerCliOptions): PlatformBot {
  switch (name) {
    case 'telegram':
      return telegramBot(config.platforms.telegram!, shared);
    case 'whatsapp':
      return whatsappBot(config.platforms.whatsapp!, shared);
  }
}

/** The shared runner options with the platform section's overrides. */
function runnerOptions(section: Partial<PlatformRunnerOptions>, shared: RunnerCliOptions): PlatformRunnerOptions {
  const { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency } = { ...shared, ...withoutUndefined(section) };
  return { allow, groupPolicy, sessionScope, queueMode, stream, streamEditInterval, concurrency };
}

function telegramBot(section: TelegramConfig, shared: RunnerCliOptions): PlatformBot {
  return {
    options: runnerOptions(section, shared),
    async makeAdapter({ store, logger }) {
      // Loaded only when this platform runs: the CLI starts without every SDK.
      const { TelegramAdapter } = await import('../../../../adapters/telegram/telegram-adapter.js');
      const adapter = new TelegramAdapter({
        token: section.token,
        apiRoot: section.apiRoot,
        logger,
        receive: section.webhook ? { kind: 'webhook', ...section.webhook } : { kind: 'polling', leases: store },
      });
      const me = await adapter.identify();
      logger.info({ bot: me.username }, 'Telegram bot identified');
      return adapter;
    },
  };
}

function whatsappBot(section: WhatsAppConfig, shared: RunnerCliOptions): PlatformBot {
  return {
    options: runnerOptions(section, shared),
    async makeAdapter({ logger }) {
      const { WhatsAppAdapter } = await import('../../../../adapters/whatsapp/whatsapp-adapter.js');
      return new WhatsAppAdapter({ ...section, logger });
    },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
