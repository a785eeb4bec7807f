import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTelegram } from '../fakes/fake-telegram-server.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { pgTestUrl, sqliteTestFile } from '../support/databases.js';
import { killAll, spawnTs, type TsProcess } from '../support/processes.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { loggedErrors, pairs, spawnWorker, startWorld, stopWorker, TOKEN, withStore, type Worker, type World } from './bot-harness.js';

/*
 * Two Telegram bots (two tokens) on one Postgres database, in one process from one config file and in two processes:
 * users talk to both at once; every reply goes out with the right bot's token, no entry is worked on by the other
 * bot's runner, both bots poll at the same time (one polling lease each), and their sessions stay apart. Entries an
 * older version left in the shared `telegram` queue are answered by their own bot.
 */

const TOKEN_B = '223344:second-bot-token';
const BOT_B = 7_000_000_002;
const CHATS = [601, 602, 603];
const ROUNDS = 2;
const LEGACY_CHAT = 701;

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

interface Bots {
  a: FakeTelegram;
  b: FakeTelegram;
}

async function twoBotWorld(label: string): Promise<World & Bots> {
  world = await startWorld(pgTestUrl(label));
  const b = world.tg.addBot({ token: TOKEN_B, botId: BOT_B, username: 'threadline_second_bot' });
  return { ...world, a: world.tg, b };
}

const botIdOf = (bot: FakeTelegram) => String(bot.botInfo.id);
const textFor = (bot: FakeTelegram, chatId: number, round: number) => `bot ${botIdOf(bot).slice(-1)} c${chatId} r${round}`;
const replyTo = (text: string, seen: number) => `reply to: ${text} (saw ${seen} messages)`;

/** Entries as a version before per-bot queues recorded them: every bot's in the queue `telegram`. */
async function leaveLegacyEntries(db: string, bots: FakeTelegram[]): Promise<void> {
  await withStore(db, async (store) => {
    for (const bot of bots) {
      const botId = botIdOf(bot);
      const message: InboundMessage = {
        platform: 'telegram',
        botId,
        chatId: String(LEGACY_CHAT),
        userId: String(LEGACY_CHAT),
        eventId: '90001',
        messageId: '1',
        text: `legacy for ${botId}`,
        isPrivate: true,
        addressed: true,
        replyTarget: { chatId: String(LEGACY_CHAT) },
      };
      await store.enqueueInbox({ sessionId: `telegram:${botId}:${LEGACY_CHAT}`, eventKey: `telegram:${botId}:90001`, queue: 'telegram', payload: message });
    }
  });
}

/** Both bots poll at the same moment (each holds its own lease), then users write to both at once. */
async function talkToBoth({ a, b }: Bots): Promise<void> {
  await a.waitFor(() => a.polling && b.polling, 30_000);
  for (let round = 0; round < ROUNDS; round++) {
    for (const chatId of CHATS) {
      for (const bot of [a, b]) bot.pushUpdate(bot.textUpdate({ chatId, userId: chatId, text: textFor(bot, chatId, round) }));
    }
  }
  const complete = (bot: FakeTelegram) =>
    CHATS.every((c) => bot.messagesInChat(c).filter((m) => m.text.endsWith(')')).length === ROUNDS) &&
    bot.messagesInChat(LEGACY_CHAT).some((m) => m.text.endsWith(')'));
  await a.waitFor(() => complete(a) && complete(b), 60_000).catch((error: Error) => {
    const shown = [a, b].map((bot) => `${bot.botInfo.id}: ${JSON.stringify([...CHATS, LEGACY_CHAT].map((c) => bot.messagesInChat(c).map((m) => m.text)))}`);
    throw new Error(`${error.message.slice(0, 300)}\n${shown.join('\n')}`);
  });
}

/** Each bot's token sent exactly its own replies; the ledger shows each entry worked on by its own bot's runner. */
async function expectSeparateBots(db: string, { a, b }: Bots, pidOf: (botId: string) => number): Promise<void> {
  for (const bot of [a, b]) {
    for (const chatId of CHATS) {
      const texts = Array.from({ length: ROUNDS }, (_, round) => textFor(bot, chatId, round));
      expect(bot.messagesInChat(chatId).map((m) => m.text)).toEqual(texts.map((t, i) => replyTo(t, 2 * i + 2)));
    }
    expect(bot.messagesInChat(LEGACY_CHAT).map((m) => m.text)).toEqual([replyTo(`legacy for ${botIdOf(bot)}`, 2)]);
    // No poll was refused (409: another poller of the same bot), no call failed. (The acknowledging getUpdates telegraf
    // sends on stop, `limit: 1`, may race its own aborted long poll in the fake: that one is not the other bot's.)
    expect(bot.calls.filter((c) => c.error && !(c.method === 'getUpdates' && Number(c.params.limit) === 1))).toEqual([]);
  }

  await withStore(db, async (store) => {
    const sessions = (await store.listSessions({ limit: 100 })).sessions.map((s) => s.id).sort();
    expect(sessions).toEqual([a, b].flatMap((bot) => [...CHATS, LEGACY_CHAT].map((c) => `telegram:${botIdOf(bot)}:${c}`)).sort());
    for (const bot of [a, b]) {
      for (const chatId of CHATS) {
        const texts = Array.from({ length: ROUNDS }, (_, round) => textFor(bot, chatId, round));
        expect(pairs(await store.fullHistory(`telegram:${botIdOf(bot)}:${chatId}`))).toEqual(texts.flatMap((t, i) => [['user', t], ['assistant', replyTo(t, 2 * i + 2)]]));
      }
    }

    const entries = await store.listInbox({ limit: 1000 });
    expect(entries).toHaveLength(2 * (CHATS.length * ROUNDS + 1));
    for (const entry of entries) {
      const botId = entry.sessionId.split(':')[1];
      expect([botIdOf(a), botIdOf(b)]).toContain(botId);
      expect(entry).toMatchObject({ status: 'done', attempts: 1, queue: entry.eventKey.endsWith(':90001') ? 'telegram' : `telegram:${botId}` });
      // The attempt was made by this bot's runner (`host:pid/telegram:<bot id>`), in the process that runs this bot.
      const { attempts } = (await store.inboxTimeline(entry.id))!;
      expect(attempts.map((t) => t.worker)).toEqual([expect.stringMatching(new RegExp(`:${pidOf(botId)}/telegram:${botId}$`))]);
    }
  });
}

describe('two Telegram bots on one Postgres database', () => {
  it('in one process, from one config file: each bot answers its own users, polls at once with the other, keeps its own sessions', async () => {
    const w = await twoBotWorld('tg_two_bots_config');
    await withStore(w.db, async () => {});
    await leaveLegacyEntries(w.db, [w.a, w.b]);
    // In a directory of this run's, which global teardown removes.
    const config = join(dirname(sqliteTestFile('multibot')), 'bots.yaml');
    writeFileSync(
      config,
      [
        `db: ${w.db}`,
        'model: gpt-test',
        `baseUrl: ${w.llm.baseURL}`,
        'streamEditInterval: 50',
        'platforms:',
        '  telegram:',
        '    - token: ${TG_TOKEN_A}',
        `      apiRoot: ${w.a.apiRoot}`,
        '    - token: { env: TG_TOKEN_B }',
        `      apiRoot: ${w.b.apiRoot}`,
        '',
      ].join('\n'),
    );
    const check = spawnTs(CLI_MAIN, ['bot', 'run', '--config', config, '--check'], { env: { TG_TOKEN_A: TOKEN, TG_TOKEN_B: TOKEN_B } });
    expect((await check.exited).code).toBe(0);
    expect(check.stdoutText).toBe(`${config}: valid (telegram ×2)\n`);

    const proc = spawnTs(CLI_MAIN, ['bot', 'run', '--config', config], {
      env: { OPENAI_API_KEY: 'test', OPENAI_BASE_URL: undefined, THREADLINE_DB: undefined, DATABASE_URL: undefined, THREADLINE_LOG_LEVEL: 'info', TG_TOKEN_A: TOKEN, TG_TOKEN_B: TOKEN_B },
    });
    const worker: Worker = { proc };
    for (const [i, bot] of [w.a, w.b].entries()) {
      const started = await proc.waitForLine(new RegExp(`"bot":"platforms\\.telegram\\[${i}\\]".*"queue":"telegram:${bot.botInfo.id}".*"msg":"bot runner started"`), 60_000);
      expect(started).toContain(`/telegram:${bot.botInfo.id}"`);
    }
    await talkToBoth(w);
    await stopWorker(worker);

    await expectSeparateBots(w.db, w, () => proc.child.pid!);
    // Each bot took its own polling lease: both logged polling, neither stood by for the other.
    expect(proc.stdoutLines.filter((l) => /"msg":"polling Telegram for updates"/.test(l)).map((l) => /"bot":"([^"]+)"/.exec(l)?.[1]).sort()).toEqual([
      'platforms.telegram[0]',
      'platforms.telegram[1]',
    ]);
    expect(proc.stdoutText).not.toMatch(/standing by to take over/);
    expect(loggedErrors(worker)).toEqual([]);
  });

  it('in two processes, one per token: the same, each process working only on its own bot', async () => {
    const w = await twoBotWorld('tg_two_bots_procs');
    await withStore(w.db, async () => {});
    await leaveLegacyEntries(w.db, [w.a, w.b]);
    const start = async (token: string): Promise<Worker> => {
      const proc: TsProcess = spawnWorker(w, { token });
      await proc.waitForLine(/"msg":"polling Telegram for updates"/, 60_000);
      return { proc };
    };
    const [workerA, workerB] = await Promise.all([start(TOKEN), start(TOKEN_B)]);
    await talkToBoth(w);
    await Promise.all([stopWorker(workerA), stopWorker(workerB)]);

    const pids = new Map([[botIdOf(w.a), workerA.proc.child.pid!], [botIdOf(w.b), workerB.proc.child.pid!]]);
    await expectSeparateBots(w.db, w, (botId) => pids.get(botId)!);
    for (const worker of [workerA, workerB]) {
      expect(worker.proc.stdoutText).not.toMatch(/standing by to take over/);
      expect(loggedErrors(worker)).toEqual([]);
    }
  });
});
