import { InvalidArgumentError, type Command } from 'commander';
import { processSettings, runnerSettings, type ProcessSettings, type RunnerSettings } from '../../../settings/runner-settings.js';
import { addDbOption, addInstructionsOption, addLlmOptions, type DbOptions, type InstructionsOptions, type LlmOptions } from '../../common-options.js';
import { addSettingFlags, settingsFromFlags } from '../../setting-flags.js';

/** Options every `threadline bot <platform>` takes: store, model, the process's own, and how the runner treats messages. */
export type RunnerCliOptions = DbOptions & LlmOptions & InstructionsOptions & ProcessSettings & RunnerSettings;

/** `serve`'s own flags (a port may be 0; counts at least 1). */
export const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
};

export const atLeastOne = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
};

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
  const { db, conversationUrl, model, baseUrl, llmTimeout, instructions } = flags as unknown as DbOptions & LlmOptions & InstructionsOptions;
  return {
    db,
    conversationUrl,
    model,
    baseUrl,
    llmTimeout,
    instructions,
    ...settingsFromFlags(processSettings, flags),
    ...settingsFromFlags(runnerSettings, flags),
  };
}
