import type { Command } from 'commander';
import { processSettings, runnerSettings, storeAndModelSettings, type ProcessSettings, type RunnerSettings } from '../../../settings/runner-settings.js';
import { addDbOption, addInstructionsOption, addLlmOptions, type DbOptions, type InstructionsOptions, type LlmOptions } from '../../common-options.js';
import { addSettingFlags, settingsFromFlags } from '../../setting-flags.js';

/** Options every `threadline bot <platform>` takes: store, model, the process's own, and how the runner treats messages. */
export type RunnerCliOptions = DbOptions & LlmOptions & InstructionsOptions & ProcessSettings & RunnerSettings;

/** How hard a message is tried before it is given up on: every worker that runs turns (bots, serve) takes these. */
export function addAttemptOptions(command: Command): Command {
  return addSettingFlags(command, { maxAttempts: runnerSettings.maxAttempts, llmRetryWindow: runnerSettings.llmRetryWindow });
}

export function addRunnerOptions(command: Command): Command {
  addLlmOptions(command);
  addInstructionsOption(command);
  addDbOption(command);
  addSettingFlags(command, processSettings);
  return addSettingFlags(command, runnerSettings);
}

/** The runner options the parsed flags give, checked by the same schemas as the config file's keys. */
export function runnerOptionsFromFlags(flags: Record<string, unknown>): RunnerCliOptions {
  return {
    conversationUrl: (flags as DbOptions).conversationUrl,
    ...settingsFromFlags(storeAndModelSettings, flags),
    ...settingsFromFlags(processSettings, flags),
    ...settingsFromFlags(runnerSettings, flags),
  };
}
