import { afterEach, describe, expect, it } from 'vitest';
import { postWebhookUpdate, type TextMessageUpdate } from '../fakes/fake-telegram-server.js';
import { pgTestUrl } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { chatSession, loggedErrors, pairs, startWorker, startWorld, stopWorker, textsIn, userTexts, WEBHOOK_SECRET, withStore, type World } from './bot-harness.js';

const WORKERS = 3;
const CHATS = 6;
const UPDATES = 300;
const DUPLICATES = 30;

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

describe('threadline bot telegram: webhook workers on Postgres', () => {
  it(`${WORKERS} workers, ${UPDATES} updates for ${CHATS} chats, ${DUPLICATES} delivered twice: one reply each, complete ordered histories`, async () => {
    world = await startWorld(pgTestUrl('tg_scale'));
    const { tg, llm } = world;
    // Migrate once so the workers do not race to create the schema.
    await withStore(world.db, async () => {});
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(world!, { webhook: true })));
    expect(tg.webhook?.secret_token).toBe(WEBHOOK_SECRET);

    const chatIds = Array.from({ length: CHATS }, (_, i) => 1000 + i);
    const perChat = UPDATES / CHATS;
    const updates = new Map<number, TextMessageUpdate[]>(chatIds.map((chatId) => [chatId, []]));
    for (let i = 0; i < perChat; i++) {
      for (const chatId of chatIds) updates.get(chatId)!.push(tg.textUpdate({ chatId, userId: chatId, text: `c${chatId} m${i}` }));
    }
    const all = [...updates.values()].flat();
    const duplicated = new Set(shuffle(all).slice(0, DUPLICATES).map((u) => u.update_id));

    const post = async (update: TextMessageUpdate, worker: number) => {
      const { status, body } = await postWebhookUpdate(workers[worker].webhookUrl!, update, WEBHOOK_SECRET);
      expect(status, body).toBe(200);
    };
    const started = Date.now();
    // Chats run concurrently; inside a chat each update is posted once the previous one was acknowledged (as
    // Telegram does), so the order a chat's history must have is well defined. A duplicate goes to two
    // different workers at the same moment.
    await Promise.all(
      chatIds.map(async (chatId) => {
        for (const update of updates.get(chatId)!) {
          const first = randomInt(WORKERS);
          const deliveries = [post(update, first)];
          if (duplicated.has(update.update_id)) deliveries.push(post(update, (first + 1 + randomInt(WORKERS - 1)) % WORKERS));
          await Promise.all(deliveries);
        }
      }),
    );
    const posted = Date.now() - started;
    await tg.waitFor((f) => chatIds.every((c) => f.messagesInChat(c).length >= perChat), 60_000).catch((error: Error) => {
      throw new Error(`${error.message.slice(0, 2000)}\nworker errors:\n${workers.flatMap(loggedErrors).slice(0, 20).join('\n')}`);
    });
    const answered = Date.now() - started;
    // Anything answered twice would show up in this time too.
    await Promise.all(workers.map(stopWorker));
    expect(workers.flatMap(loggedErrors)).toEqual([]);
    console.log(`scale: ${UPDATES} updates posted in ${posted} ms, all answered after ${answered} ms`);

    expect(llm.requests).toHaveLength(UPDATES);
    for (const chatId of chatIds) {
      const sent = updates.get(chatId)!.map((u) => u.message.text);
      // One reply per unique update, in order, each made from a request that carried every earlier turn.
      expect(textsIn(tg, chatId)).toEqual(sent.map((text, i) => `reply to: ${text} (saw ${2 * i + 2} messages)`));
      const requests = llm.requests.filter((r) => userTexts(r).at(-1)?.startsWith(`c${chatId} `));
      expect(requests.map(userTexts)).toEqual(sent.map((_, i) => sent.slice(0, i + 1)));
      await withStore(world.db, async (store) => {
        expect(pairs(await store.fullHistory(chatSession(chatId)))).toEqual(
          sent.flatMap((text, i) => [
            ['user', text],
            ['assistant', textsIn(tg, chatId)[i]],
          ]),
        );
      });
    }
  });
});

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
