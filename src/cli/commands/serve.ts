import { Option, type Command } from 'commander';
import { createChatModel } from '../../core/llm/create-chat-model.js';
import { createLogger } from '../../log.js';
import { startServe } from '../../serve/start-serve.js';
import { openStoreWhenReachable } from '../../store/open-store-when-reachable.js';
import { addDbOption, addInstructionsOption, addLlmOptions, llmConfig, resolveDbUrl, type DbOptions, type InstructionsOptions, type LlmOptions } from '../common-options.js';
import { addExamples } from '../help-text.js';
import { printLine } from '../output.js';
import { abortOnShutdownSignal } from '../shutdown-signal.js';
import { addAttemptOptions } from './bot/runner-options.js';
import { flagValue } from '../setting-flags.js';
import { port, wholeNumber } from '../../settings/values.js';

interface ServeCliOptions extends DbOptions, LlmOptions, InstructionsOptions {
  host: string;
  port: number;
  name: string;
  concurrency: number;
  maxAttempts: number;
  llmRetryWindow: number;
  bodyLimit: number;
  rateLimit: number;
  corsOrigin?: string[];
  logLevel?: string;
}

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('managed agents over HTTP: streamed, resumable turns on the same store as the bots, behind API keys')
    .addOption(new Option('--host <host>', 'interface to listen on').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').argParser(flagValue(port())).default(8787))
    .addOption(new Option('--name <name>', "the agent's name").default('Threadline'))
    .addOption(new Option('--concurrency <n>', 'turns this process runs at once').argParser(flagValue(wholeNumber(1))).default(8))
    .addOption(new Option('--body-limit <bytes>', 'largest request body; larger ones get 413').argParser(flagValue(wholeNumber(1))).default(1_048_576))
    .addOption(new Option('--rate-limit <n>', 'requests a minute per API key, per process (429 beyond); 0: no limit').argParser(flagValue(wholeNumber(0))).default(600))
    .addOption(new Option('--cors-origin <origins>', 'comma-separated origins allowed to call the API from browsers (default: CORS off)').argParser((v) => v.split(',').map((s) => s.trim()).filter(Boolean)))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error (default: $THREADLINE_LOG_LEVEL, else info)'));
  addLlmOptions(command);
  addInstructionsOption(command);
  addAttemptOptions(command);
  addDbOption(command);
  addExamples(command, [
    'threadline keys create --name web && threadline serve --db postgres://app@db/threadline --port 8787',
    'threadline serve --model echo --port 0',
  ]);
  command.action(async (options: ServeCliOptions) => {
    const logger = createLogger({ level: options.logLevel });
    // Checked first, so a missing API key fails in one line before the database is touched. The runner retries
    // a failing model itself (bounded, recorded in the ledger), so the client does not.
    const model = createChatModel({ ...llmConfig(options), maxRetries: 0 });
    const store = await abortOnShutdownSignal((signal) => openStoreWhenReachable(resolveDbUrl(options), { poolSize: options.concurrency + 6, logger, signal }));
    try {
      const running = await startServe({
        store,
        model,
        logger,
        name: options.name,
        instructions: options.instructions,
        host: options.host,
        port: options.port,
        concurrency: options.concurrency,
        maxAttempts: options.maxAttempts,
        llmRetryWindowMs: options.llmRetryWindow * 1000,
        limits: { bodyBytes: options.bodyLimit, requestsPerMinute: options.rateLimit, corsOrigins: options.corsOrigin ?? [] },
      });
      printLine(`threadline serve listening on ${running.url}`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => process.once('SIGTERM', resolve).once('SIGINT', resolve));
      logger.info({ signal }, 'shutting down: finishing turns in flight');
      await running.close();
    } finally {
      await store.close();
    }
  });
}
