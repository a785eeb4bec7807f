import OpenAI from 'openai';
import { startFakeOpenAI, type FakeHandler, type FakeOpenAI } from '../test/fakes/fake-openai-server.js';
import { postWebhookUpdate, startFakeTelegram, type FakeTelegram } from '../test/fakes/fake-telegram-server.js';
import { CLI_MAIN, ensureCliBuilt } from '../test/support/cli-build.js';
import { spawnTs, type TsProcess } from '../test/support/processes.js';
import { freePort } from '../test/support/bot-world.js';
import { machineCpu } from './lib/cpu.js';
import { postgresFloor } from './lib/floor.js';
import { ms, printTable, timeEach, type Row } from './lib/stats.js';
import { PG_URL, pgDb } from './lib/targets.js';

/**
 * End to end through `threadline bot telegram` worker processes in webhook mode on Postgres: the bench posts
 * Telegram updates to the workers' webhooks (round robin, as a load balancer would) and times each one until the
 * fake Bot API receives its reply (sendMessage). The fake LLM answers synchronously, so its own time is ~0 and the
 * whole latency is Threadline's, plus three loopback HTTP hops (webhook, LLM call, sendMessage).
 */

const MESSAGES = Number(process.env.BENCH_BOT_MESSAGES ?? 400);
const IDLE_MESSAGES = Number(process.env.BENCH_BOT_IDLE_MESSAGES ?? 50);
const CHATS = 50;
const IN_FLIGHT = 32;
const WARMUP = 20;
const FLOOR_ITERATIONS = 300;
const TOKEN = '123456:bench-token';
const SECRET = 'bench_webhook_secret';
const HOT_CHAT = 1;
const REPLY_TIMEOUT_MS = 120_000;

/** Each message carries a tag (`#<n>`) that the fake LLM echoes, so a reply is matched to the message it answers. */
const tagOf = (text: string) => /#(\d+)/.exec(text)?.[1];
const echoTag: FakeHandler = (request) => {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  return { content: `ok #${tagOf(String(lastUser?.content ?? '')) ?? '?'}` };
};

interface Fleet {
  tg: FakeTelegram;
  llm: FakeOpenAI;
  webhookUrls: string[];
  workers: TsProcess[];
  nextTag: number;
}

function spawnWorker(tg: FakeTelegram, llm: FakeOpenAI, db: string, port: number): TsProcess {
  // Unpaced: the bench measures the runner, not Telegram's limits (1 message a second per private chat would set
  // every figure here; the budgets' own cost is in the send-budget tests).
  const args = ['bot', 'telegram', '--token', TOKEN, '--api-root', tg.apiRoot, '--db', db, '--model', 'bench', '--base-url', llm.baseURL, '--no-stream', '--no-send-limits'];
  const webhook = ['--webhook-url', `http://127.0.0.1:${port}/tg`, '--webhook-secret', SECRET, '--port', String(port)];
  return spawnTs(CLI_MAIN, [...args, ...webhook], {
    env: {
      OPENAI_API_KEY: 'x',
      THREADLINE_LOG_LEVEL: 'warn',
      OPENAI_BASE_URL: undefined,
      TELEGRAM_BOT_TOKEN: undefined,
      TELEGRAM_API_ROOT: undefined,
      THREADLINE_DB: undefined,
      DATABASE_URL: undefined,
    },
  });
}

/** `count` workers on a fresh schema, each listening once it has called setWebhook (it listens first). */
async function startFleet(count: number, label: string): Promise<Fleet> {
  const tg = await startFakeTelegram({ token: TOKEN, username: 'threadline_bench_bot' });
  const llm = await startFakeOpenAI({ handler: echoTag });
  const db = pgDb(`bot_${label}`);
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const workers = ports.map((port) => spawnWorker(tg, llm, db, port));
  const fleet: Fleet = { tg, llm, webhookUrls: ports.map((p) => `http://127.0.0.1:${p}/tg`), workers, nextTag: 0 };
  const died = workers.map((w) =>
    w.exited.then((exit) => {
      throw new Error(`bench bot worker exited (${exit.code ?? exit.signal}) while starting: ${w.stderrText.slice(-2000) || w.stdoutText.slice(-2000)}`);
    }),
  );
  try {
    await Promise.race([tg.waitFor((t) => t.calls.filter((c) => c.method === 'setWebhook' && !c.error).length >= count, 60_000), ...died]);
  } catch (error) {
    await stopFleet(fleet);
    throw error;
  }
  return fleet;
}

async function stopFleet(fleet: Fleet): Promise<void> {
  for (const w of fleet.workers) w.kill('SIGTERM');
  await Promise.all(fleet.workers.map((w) => w.exited));
  await fleet.tg.close();
  await fleet.llm.close();
}

/**
 * Closed-loop load: `inFlight` senders, each posting a message and waiting for its reply before the next, until
 * `count` messages are answered. Returns each message's latency and the wall time of the whole run.
 */
async function drive(fleet: Fleet, count: number, inFlight: number, chatOf: (i: number) => number): Promise<{ latencies: number[]; wallMs: number }> {
  const waiting = new Map<string, (at: number) => void>();
  let cursor = fleet.tg.messages.length;
  let answered = 0;
  // Checked by the fake after every API call it answers, so the time taken is when the reply arrived.
  const allAnswered = fleet.tg.waitFor((tg) => {
    for (; cursor < tg.messages.length; cursor++) {
      const tag = tagOf(tg.messages[cursor].text);
      const arrived = tag === undefined ? undefined : waiting.get(tag);
      if (!arrived) continue;
      waiting.delete(tag!);
      answered++;
      arrived(performance.now());
    }
    return answered === count;
  }, REPLY_TIMEOUT_MS);

  const latencies: number[] = [];
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const i = next++;
      const tag = String(fleet.nextTag++);
      const update = fleet.tg.textUpdate({ chatId: chatOf(i), userId: chatOf(i), text: `message #${tag}` });
      const replied = new Promise<number>((resolve) => waiting.set(tag, resolve));
      const postedAt = performance.now();
      const { status, body } = await postWebhookUpdate(fleet.webhookUrls[i % fleet.webhookUrls.length], update, SECRET);
      if (status !== 200) throw new Error(`bench: the webhook answered ${status} ${body} to update ${update.update_id}`);
      latencies.push((await replied) - postedAt);
    }
  };
  const start = performance.now();
  await Promise.all([allAnswered, ...Array.from({ length: inFlight }, sender)]);
  return { latencies, wallMs: performance.now() - start };
}

/** What one call to the instant fake LLM costs by itself: the HTTP hop that the end-to-end latency includes. */
async function llmHop(): Promise<ReturnType<typeof ms>> {
  const llm = await startFakeOpenAI({ handler: echoTag });
  try {
    const client = new OpenAI({ apiKey: 'x', baseURL: llm.baseURL, maxRetries: 0 });
    return ms(await timeEach(FLOOR_ITERATIONS, 20, () => client.chat.completions.create({ model: 'bench', messages: [{ role: 'user', content: '#0' }] })));
  } finally {
    await llm.close();
  }
}

interface Measured {
  perSecond: number;
  /** Share of the machine's CPU in use during the loaded run: near 100% means more workers cannot help. */
  cpuBusy: number;
  loaded: ReturnType<typeof ms>;
  idle: ReturnType<typeof ms>;
}

async function measure(workers: number, hot: boolean): Promise<Measured> {
  const chatOf = hot ? () => HOT_CHAT : (i: number) => 1 + (i % CHATS);
  const fleet = await startFleet(workers, `${workers}w_${hot ? 'hot' : 'many'}`);
  try {
    await drive(fleet, WARMUP, Math.min(IN_FLIGHT, 8), chatOf);
    const idle = await drive(fleet, IDLE_MESSAGES, 1, chatOf);
    const before = machineCpu();
    const loaded = await drive(fleet, MESSAGES, IN_FLIGHT, chatOf);
    const after = machineCpu();
    const cpuBusy = (after.busy - before.busy) / (after.total - before.total);
    return { perSecond: MESSAGES / (loaded.wallMs / 1000), cpuBusy, loaded: ms(loaded.latencies), idle: ms(idle.latencies) };
  } finally {
    await stopFleet(fleet);
  }
}

export async function benchBot(): Promise<void> {
  ensureCliBuilt();
  const floor = ms(await postgresFloor(PG_URL, FLOOR_ITERATIONS));
  const hop = await llmHop();
  const rows: Row[] = [
    { case: 'floor: one bare durable commit', 'msgs/s': '', p50_ms: '', p99_ms: '', 'idle p50_ms': floor.p50, 'idle p99_ms': floor.p99, 'idle p50 / floor': 1, note: '' },
    {
      case: 'one call to the instant fake LLM',
      'msgs/s': '',
      p50_ms: '',
      p99_ms: '',
      'idle p50_ms': hop.p50,
      'idle p99_ms': hop.p99,
      'idle p50 / floor': hop.p50 / floor.p50,
      note: 'an HTTP hop included in every row below',
    },
  ];
  const results = new Map<string, Measured>();
  for (const hot of [false, true]) {
    for (const workers of [1, 4]) {
      const label = `${workers} worker${workers > 1 ? 's' : ''}, ${hot ? 'one hot chat' : `${CHATS} chats`}`;
      const m = await measure(workers, hot);
      results.set(`${workers}-${hot}`, m);
      rows.push({
        case: label,
        'msgs/s': m.perSecond,
        p50_ms: m.loaded.p50,
        p99_ms: m.loaded.p99,
        'idle p50_ms': m.idle.p50,
        'idle p99_ms': m.idle.p99,
        'idle p50 / floor': m.idle.p50 / floor.p50,
        note: `machine CPU ${(m.cpuBusy * 100).toFixed(0)}% busy under load`,
      });
    }
  }
  const summary = (label: string, note: string): Row => ({ case: label, 'msgs/s': '', p50_ms: '', p99_ms: '', 'idle p50_ms': '', 'idle p99_ms': '', 'idle p50 / floor': '', note });
  const one = results.get('1-false')!;
  const four = results.get('4-false')!;
  const hotOne = results.get('1-true')!;
  const hotFour = results.get('4-true')!;
  rows.push(
    summary('added latency p50 / floor (1 worker, 50 chats, idle)', `${(one.idle.p50 / floor.p50).toFixed(2)}x (target <= 2.5x)`),
    summary('msgs/s, 50 chats: 4 workers / 1 worker', `${(four.perSecond / one.perSecond).toFixed(2)}x (target > 1; 2 CPU cores here)`),
    summary('msgs/s, one hot chat: 4 workers / 1 worker', `${(hotFour.perSecond / hotOne.perSecond).toFixed(2)}x (one chat is answered in order: no gain expected)`),
  );
  printTable(
    `Bot end to end: threadline bot telegram (webhook, --no-stream) on Postgres, fake Bot API, instant fake LLM. ` +
      `Latency = webhook POST until the fake Bot API receives the reply. ` +
      `msgs/s, p50, p99: ${MESSAGES} messages, ${IN_FLIGHT} in flight; idle: ${IDLE_MESSAGES} messages, 1 in flight.`,
    rows,
  );
}
