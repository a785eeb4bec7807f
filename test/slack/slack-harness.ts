import { openStore } from '../../src/store/open-store.js';
import type { StoredMessage } from '../../src/store/types.js';
import type { FakeHandler, FakeOpenAI } from '../fakes/fake-openai-server.js';
import { startFakeSlack, type FakeSlack, type SendEventOptions } from '../fakes/fake-slack-server.js';
import { spawnTs, type TsProcess } from '../support/processes.js';
import { stopGracefully, withFakeLlm } from '../support/bot-world.js';
import { CLI_MAIN } from '../support/cli-build.js';

/**
 * What every Slack bot test needs: a fake Slack (Web API, signed events, Socket Mode), a fake LLM, a database,
 * and `threadline bot slack` worker processes (real Bolt inside) pointed at them.
 */

const MAIN = CLI_MAIN;
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const SIGNING_SECRET = 'test-signing-secret';

export interface World {
  slack: FakeSlack;
  llm: FakeOpenAI;
  db: string;
  close(): Promise<void>;
}

export async function startWorld(db: string, handler?: FakeHandler): Promise<World> {
  const slack = await startFakeSlack({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, userNames: { U0ALICE: 'Alice', U0BOB: 'Bob' } });
  return { slack, db, ...(await withFakeLlm(slack, handler)) };
}

export interface Worker {
  proc: TsProcess;
  /** HTTP mode: where Slack (the test) posts events. */
  eventsUrl?: string;
  /** Sends a signed event to this worker. */
  send(body: object, options?: SendEventOptions): Promise<{ status: number; body: string }>;
}

export interface WorkerOptions {
  socketMode?: boolean;
  /** Extra CLI flags. */
  args?: string[];
  env?: Record<string, string | undefined>;
}

/** Starts one worker and waits until it receives events. */
export async function startWorker(world: World, options: WorkerOptions = {}): Promise<Worker> {
  const proc = spawnWorker(world, options);
  const receiving = await proc.waitForLine(/"msg":"receiving Slack events/);
  await proc.waitForLine(/"msg":"bot runner started"/);
  const port = (JSON.parse(receiving) as { port?: number }).port;
  const eventsUrl = port ? `http://127.0.0.1:${port}/slack/events` : undefined;
  return {
    proc,
    eventsUrl,
    send(body, sendOptions) {
      if (!eventsUrl) throw new Error('this worker runs in Socket Mode: push events with world.slack.pushSocketEvent');
      return world.slack.sendEvent(eventsUrl, body, sendOptions);
    },
  };
}

/** The worker process alone, without waiting for it to come up (for start-up failures). */
export function spawnWorker(world: World, options: WorkerOptions = {}): TsProcess {
  const args = [
    'bot',
    'slack',
    '--api-url',
    world.slack.apiUrl,
    '--db',
    world.db,
    '--model',
    'gpt-test',
    '--base-url',
    world.llm.baseURL,
    ...(options.socketMode ? ['--socket-mode'] : ['--port', '0']),
    ...(options.args ?? []),
  ];
  return spawnTs(MAIN, args, {
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_APP_TOKEN: world.slack.appToken,
      OPENAI_API_KEY: 'test',
      THREADLINE_LOG_LEVEL: 'info',
      THREADLINE_DB: undefined,
      DATABASE_URL: undefined,
      ...options.env,
    },
  });
}

/** Stops a worker the way a deployment does (SIGTERM) and checks it left cleanly. */
export const stopWorker = (worker: Worker): Promise<void> => stopGracefully(worker.proc);

/** The stored sessions and their user/assistant messages, read by a store of the test's own. */
export async function readHistories(db: string, prefix = 'slack:'): Promise<Map<string, Array<Pick<StoredMessage, 'role' | 'content'>>>> {
  const store = await openStore(db);
  try {
    const histories = new Map<string, Array<Pick<StoredMessage, 'role' | 'content'>>>();
    for (const session of (await store.listSessions({ prefix, limit: 1000 })).sessions) {
      const messages = await store.fullHistory(session.id);
      histories.set(
        session.id,
        messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role, content: m.content })),
      );
    }
    return histories;
  } finally {
    await store.close();
  }
}

/** `slack:<team>:<channel>[:<thread ts>]`, as the runner names Slack sessions. */
export function slackSession(world: World, channel: string, threadTs?: string): string {
  return ['slack', world.slack.teamId, channel, ...(threadTs ? [threadTs] : [])].join(':');
}

/** Resolves once `check` returns a value (polled: replies arrive as posts and later edits). */
export async function waitUntil<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The bot's reply to `text` as the channel shows it once complete (the fake LLM ends it with "(saw N messages)"). */
export function replyTo(world: World, channel: string, text: string, threadTs?: string): Promise<string> {
  const prefix = `reply to: ${text} (saw `;
  return waitUntil(() => world.slack.messagesIn(channel, threadTs).find((m) => m.text.startsWith(prefix) && m.text.endsWith(' messages)'))?.text);
}
