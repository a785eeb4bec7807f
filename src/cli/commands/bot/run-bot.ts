import { Agent } from '../../../core/agent.js';
import { createLogger, type Logger } from '../../../log.js';
import { BotRunner } from '../../../runner/bot-runner.js';
import type { PlatformAdapter } from '../../../runner/platform-adapter.js';
import { openStore } from '../../../store/open-store.js';
import type { HistoryStore } from '../../../store/types.js';
import { chatModelFromOptions, resolveDbUrl } from '../../common-options.js';
import type { RunnerCliOptions } from './runner-options.js';

export interface BotContext {
  store: HistoryStore;
  logger: Logger;
}

/**
 * Everything a `threadline bot <platform>` process does around its adapter: open the store, build the agent
 * and the runner, run until SIGTERM/SIGINT (or `stopSignal`), then shut down gracefully.
 */
export async function runBot(
  options: RunnerCliOptions,
  makeAdapter: (context: BotContext & { stop: () => void }) => Promise<PlatformAdapter> | PlatformAdapter,
  extra: { logger?: Logger; beforeStop?: (runner: BotRunner) => Promise<void> } = {},
): Promise<void> {
  const logger = extra.logger ?? createLogger({ level: options.logLevel });
  // Checked before anything else, so a missing key fails in one line without touching the database.
  const model = chatModelFromOptions(options);
  const store = await openStore(resolveDbUrl({ conversationUrl: options.db }), { poolSize: options.concurrency + 4 });
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  try {
    const agent = new Agent({ name: options.name, instructions: options.instructions, llm: model, memory: { store } });
    const adapter = await makeAdapter({ store, logger, stop });
    const runner = new BotRunner({
      store,
      agent,
      adapter,
      logger,
      modelName: model.model,
      sessionScope: options.sessionScope,
      queueMode: options.queueMode,
      stream: options.stream,
      editIntervalMs: options.streamEditInterval,
      access: { allow: options.allow, groupPolicy: options.groupPolicy },
      concurrency: Math.max(1, options.concurrency),
    });
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down: finishing turns in flight');
      stop();
    };
    process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
    if (adapter.platform !== 'console' && !options.allow?.length) {
      logger.warn({ platform: adapter.platform }, 'no --allow list: everyone who can reach the bot may talk to it');
    }
    await runner.start();
    await stopped;
    await extra.beforeStop?.(runner);
    await runner.stop();
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  } finally {
    await store.close();
  }
}
