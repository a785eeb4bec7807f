import type { StoredMessage } from '../../src/store/types.js';
import type { FakeChatRequest, FakeHandler, FakeOpenAI } from '../fakes/fake-openai-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram-server.js';
import { spawnTs, type TsProcess } from '../support/processes.js';
import { freePort, stopGracefully, withFakeLlm, withStore } from '../support/bot-world.js';
import { CLI_MAIN } from '../support/cli-build.js';

/**
 * What every Telegram bot test needs: a fake Bot API, a fake LLM, a database, and `threadline bot telegram`
 * worker processes (real telegraf inside) pointed at them.
 */

const MAIN = CLI_MAIN;
export const TOKEN = '123456:bot-test-token';
export const WEBHOOK_SECRET = 'test_webhook_secret';

export interface World {
  tg: FakeTelegram;
  llm: FakeOpenAI;
  db: string;
  /** Stops the fakes (workers are the test's to stop; `killAll` in afterEach catches leftovers). */
  close(): Promise<void>;
}

export async function startWorld(db: string, handler?: FakeHandler): Promise<World> {
  const tg = await startFakeTelegram({ token: TOKEN, username: 'threadline_test_bot' });
  return { tg, db, ...(await withFakeLlm(tg, handler)) };
}

export interface Worker {
  proc: TsProcess;
  /** Webhook mode: where Telegram (the test) posts updates. */
  webhookUrl?: string;
}

export interface WorkerOptions {
  /** Extra CLI flags (`--queue-mode collect`, `--allow 1,2`…). */
  args?: string[];
  webhook?: boolean;
  token?: string;
  /**
   * Pace sends by Telegram's rate limits (one a second per private chat…), as a deployment does. Off by default:
   * tests of everything else send faster than Telegram would allow, and must not wait for it.
   */
  sendLimits?: boolean;
}

/** Starts one worker and waits until it receives updates (polling leader, standby, or webhook listening). */
export async function startWorker(world: World, options: WorkerOptions = {}): Promise<Worker> {
  const port = options.webhook ? await freePort() : undefined;
  const webhookUrl = port ? `http://127.0.0.1:${port}/tg` : undefined;
  const proc = spawnWorker(world, options, webhookUrl, port);
  // Generous: tsx compiles the CLI at start-up, slow on a busy machine.
  await proc.waitForLine(/"msg":"bot runner started"/, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\nits stdout:\n${proc.stdoutText.slice(-3000)}`);
  });
  return { proc, webhookUrl };
}

/** The worker process alone, without waiting for it to come up (for start-up failures). */
export function spawnWorker(world: World, options: WorkerOptions = {}, webhookUrl?: string, port?: number): TsProcess {
  const args = [
    'bot',
    'telegram',
    '--token',
    options.token ?? TOKEN,
    '--api-root',
    world.tg.apiRoot,
    '--db',
    world.db,
    '--model',
    'gpt-test',
    '--base-url',
    world.llm.baseURL,
    // Short edit interval: streaming edits show up even on short fake replies.
    '--stream-edit-interval',
    '50',
    ...(webhookUrl ? ['--webhook-url', webhookUrl, '--webhook-secret', WEBHOOK_SECRET, '--port', String(port)] : []),
    ...(options.sendLimits ? [] : ['--no-send-limits']),
    ...(options.args ?? []),
  ];
  return spawnTs(MAIN, args, {
    env: {
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: undefined,
      TELEGRAM_BOT_TOKEN: undefined,
      TELEGRAM_API_ROOT: undefined,
      THREADLINE_DB: undefined,
      DATABASE_URL: undefined,
      THREADLINE_LOG_LEVEL: 'info',
    },
  });
}

/** SIGTERM and wait: the graceful path. */
export const stopWorker = (worker: Worker): Promise<void> => stopGracefully(worker.proc);

export { freePort, withStore };

export const chatSession = (chatId: number) => `telegram:${7_000_000_001}:${chatId}`;

/** `[role, content]` pairs: what a history assertion compares. */
export const pairs = (messages: StoredMessage[]) => messages.map((m) => [m.role, m.content]);

/** The user messages an LLM request carried, in order. */
export const userTexts = (request: FakeChatRequest) => request.messages.filter((m) => m.role === 'user').map((m) => String(m.content));

/** Requests whose last user message is `text`. */
export const requestsFor = (llm: FakeOpenAI, text: string) => llm.requests.filter((r) => userTexts(r).at(-1) === text);

/** Texts the bot sent to a chat, in order. */
export const textsIn = (tg: FakeTelegram, chatId: number) => tg.messagesInChat(chatId).map((m) => m.text);

/** Log lines at error level or above (pino: 50+), plus anything on stderr: a healthy run has none. */
export function loggedErrors(worker: Worker): string[] {
  const errors = worker.proc.stdoutLines.filter((line) => /"level":(5\d|6\d)/.test(line));
  return [...errors, ...worker.proc.stderrLines.filter((line) => line.trim() !== '' && !/DeprecationWarning|trace-deprecation/.test(line))];
}
