import { DEFAULT_WINDOW } from '../../../core/agent.js';
import { TurnEngine } from '../../../core/turn-engine.js';
import { createLogger, type Logger } from '../../../log.js';
import { BotRunner } from '../../../runner/bot-runner.js';
import { runnerQueues } from '../../../runner/inbox-queue.js';
import { parseSendLimits } from '../../../runner/send-budget.js';
import type { PlatformAdapter } from '../../../runner/platform-adapter.js';
import { openStoreWhenReachable } from '../../../store/open-store-when-reachable.js';
import type { HistoryStore } from '../../../store/types.js';
import { createChatModel } from '../../../core/llm/create-chat-model.js';
import { OpenAITranscriber } from '../../../core/llm/transcriber.js';
import { llmConfig, resolveDbUrl } from '../../common-options.js';
import { CliError } from '../../cli-error.js';
import { abortOnShutdownSignal } from '../../shutdown-signal.js';
import type { RunnerSettings } from '../../../settings/runner-settings.js';
import type { RunnerCliOptions } from './runner-options.js';
import type { BotProcessOps } from '../../../ops/process-ops.js';

export interface BotContext {
  store: HistoryStore;
  logger: Logger;
}

export interface PlatformBot {
  /** Where the bot is configured (`platforms.telegram[1]`), for messages about it. */
  label?: string;
  /** How this bot's runner treats its messages (the store, model and agent are the process's, shared). */
  options: RunnerSettings;
  makeAdapter: (context: BotContext & { stop: () => void }) => Promise<PlatformAdapter> | PlatformAdapter;
}

/**
 * Everything a bot process does around its adapters: open the store, build the agent, run one BotRunner per
 * bot on them (a runner serves one adapter, on the bot's own inbox queue), run until SIGTERM/SIGINT (or `stop`), then
 * shut every runner down gracefully. `threadline bot <platform>` runs one bot; `threadline bot run --config` several,
 * of one platform or of several.
 */
export async function runBots(
  options: RunnerCliOptions,
  bots: PlatformBot[],
  extra: { logger?: Logger; beforeStop?: (runners: BotRunner[]) => Promise<void> } = {},
): Promise<void> {
  const logger = extra.logger ?? createLogger({ level: options.logLevel });
  // Checked before anything else, so a missing key fails in one line without touching the database. No retries
  // inside the client: the runner retries a failing model itself, with capped waits, while the user sees typing.
  const model = createChatModel({ ...llmConfig(options), maxRetries: 0 });
  const concurrencies = bots.map((bot) => Math.max(1, bot.options.concurrency));
  const poolSize = concurrencies.reduce((sum, n) => sum + n, 0) + 4;
  // Up before the store, so /healthz answers (and /readyz says why not ready) while the database is awaited.
  const ops = options.opsPort === undefined ? undefined : await startOps(options.opsPort, options.opsHost, logger);
  const store = await abortOnShutdownSignal((signal) => openStoreWhenReachable(resolveDbUrl(options), { poolSize, logger, signal })).catch(
    async (error: unknown) => {
      await ops?.close();
      throw error;
    },
  );
  ops?.storeOpened(store);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const started: BotRunner[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down: finishing turns in flight');
    stop();
  };
  try {
    const engine = new TurnEngine({ name: options.name, instructions: options.instructions, model, window: DEFAULT_WINDOW });
    process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
    // Every bot identified before any receives: two sections that are one bot are refused before either answers.
    const made: Array<{ adapter: PlatformAdapter; logger: Logger }> = [];
    const queues = new Map<string, number>();
    for (const [i, bot] of bots.entries()) {
      // Several bots in one process: every line says which one it is about.
      const botLogger = bots.length > 1 && bot.label ? logger.child({ bot: bot.label }) : logger;
      const adapter = await bot.makeAdapter({ store, logger: botLogger, stop });
      await adapter.identify?.();
      const { queue } = runnerQueues(adapter);
      const twin = queues.get(queue);
      if (twin !== undefined) throw new CliError(sameBot(adapter.platform, queue, bots[twin].label ?? `bot ${twin + 1}`, bot.label ?? `bot ${i + 1}`), 2);
      queues.set(queue, i);
      made.push({ adapter, logger: botLogger });
    }
    for (const [i, bot] of bots.entries()) {
      const { adapter, logger: botLogger } = made[i];
      const runner = new BotRunner({
        store,
        engine,
        adapter,
        logger: botLogger,
        sessionScope: bot.options.sessionScope,
        queueMode: bot.options.queueMode,
        stream: bot.options.stream,
        editIntervalMs: bot.options.streamEditInterval,
        access: { allow: bot.options.allow, groupPolicy: bot.options.groupPolicy },
        concurrency: concurrencies[i],
        maxAttempts: bot.options.maxAttempts,
        llmRetryWindowMs: bot.options.llmRetryWindow * 1000,
        sendLimits: { enabled: bot.options.sendLimits, limits: parseSendLimits(bot.options.sendLimit ?? []), maxWaitMs: bot.options.sendWait * 1000 },
        metrics: ops?.adapterMade(adapter),
        // The echo model "sees" images: it describes what arrived, so demos and tests show it.
        media: {
          vision: bot.options.vision === true || model.model === 'echo',
          maxBytes: Math.round(bot.options.maxMediaMb * 1024 * 1024),
          maxDocumentChars: bot.options.maxDocumentChars,
          maxPdfPages: bot.options.maxPdfPages,
          ...(bot.options.transcriptionModel ? { transcriber: transcriberFor(bot.options.transcriptionModel, options) } : {}),
        },
      });
      if (adapter.platform !== 'console' && !bot.options.allow?.length) {
        botLogger.warn({ platform: adapter.platform }, 'no --allow list: everyone who can reach the bot may talk to it');
      }
      await runner.start();
      started.push(runner);
    }
    ops?.running();
    await stopped;
    ops?.stopping();
    await extra.beforeStop?.(started);
  } finally {
    // Also after a failed start: runners already started must let go of their turns before the store closes.
    await Promise.all(started.map((runner) => runner.stop()));
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
    await ops?.close();
    await store.close();
  }
}

/** The transcription model on the chat model's endpoint and key (a local endpoint needs no key). */
function transcriberFor(model: string, options: RunnerCliOptions): OpenAITranscriber {
  const config = llmConfig(options);
  return new OpenAITranscriber({
    model,
    apiKey: process.env.OPENAI_API_KEY || 'no-key-needed-for-local-endpoint',
    baseURL: config.baseURL || process.env.OPENAI_BASE_URL || undefined,
  });
}

/** Two sections of a config file turned out to be one bot (its platform said so): one line saying which. */
function sameBot(platform: string, queue: string, first: string, second: string): string {
  const why =
    platform === 'slack'
      ? 'two Slack apps of one workspace would share its sessions (slack:<team id>:…): run them on separate databases or schemas'
      : 'each bot may run once per process';
  return `${first} and ${second} are the same ${platform} bot (${queue}): ${why}`;
}

/** The ops server, loaded only when asked for: without --ops-port the process loads neither Hono nor prom-client. */
async function startOps(port: number, host: string, logger: Logger): Promise<BotProcessOps> {
  const [{ BotProcessOps }, { OpsServerStartError }] = await Promise.all([import('../../../ops/process-ops.js'), import('../../../ops/ops-server.js')]);
  return BotProcessOps.start({ port, host, logger }).catch((error: unknown) => {
    // A port taken or an address not on this host: the flags must change (exit 2).
    throw error instanceof OpsServerStartError ? new CliError(error.message, 2) : error;
  });
}
