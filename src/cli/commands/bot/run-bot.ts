import type { Logger } from '../../../log.js';
import type { BotRunner } from '../../../runner/bot-runner.js';
import { runBots, type PlatformBot } from './run-bots.js';
import type { RunnerCliOptions } from './runner-options.js';

export type { BotContext } from './run-bots.js';

/** `threadline bot <platform>`: one platform's runner, with the process around it (see `runBots`). */
export async function runBot(
  options: RunnerCliOptions,
  makeAdapter: PlatformBot['makeAdapter'],
  extra: { logger?: Logger; beforeStop?: (runner: BotRunner) => Promise<void> } = {},
): Promise<void> {
  const { beforeStop } = extra;
  await runBots(options, [{ options, makeAdapter }], { logger: extra.logger, ...(beforeStop ? { beforeStop: ([runner]) => beforeStop(runner) } : {}) });
}
