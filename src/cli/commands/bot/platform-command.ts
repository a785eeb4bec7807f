import type { Command } from 'commander';
import type { AnyPlatformDeclaration } from '../../../../adapters/shared/platform-declaration.js';
import { addExamples } from '../../help-text.js';
import { addEnvironmentHelp, addSettingFlags, settingsFromFlags } from '../../setting-flags.js';
import { addRunnerOptions, runnerOptionsFromFlags } from './runner-options.js';
import { runBot } from './run-bot.js';

/** `threadline bot <platform>`, derived from the platform's declaration: its flags are its settings. */
export function registerPlatformCommand(bot: Command, platform: AnyPlatformDeclaration): void {
  const command = bot.command(platform.name).description(platform.description);
  addSettingFlags(command, platform.settings);
  addEnvironmentHelp(command, platform.settings);
  addExamples(command, platform.examples);
  addRunnerOptions(command).action(async (flags: Record<string, unknown>) => {
    const settings = settingsFromFlags(platform.settings, flags, { check: platform.check });
    const options = runnerOptionsFromFlags(flags);
    // The platform refused the bot for good (Discord's gateway): shut down cleanly, then fail.
    let refused: Error | undefined;
    await runBot(options, ({ store, logger, stop }) =>
      platform.makeAdapter(settings, {
        leases: store,
        logger,
        fail: (error) => {
          refused ??= error;
          stop();
        },
      }),
    );
    if (refused) throw refused;
  });
}
