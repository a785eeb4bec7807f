import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultHandler, type FakeReply } from '../fakes/fake-openai-server.js';
import type { TelegramErrorAnswer } from '../fakes/fake-telegram-server.js';
import { killAll } from '../support/processes.js';
import { requestsFor, textsIn, userTexts, withStore } from '../telegram/bot-harness.js';
import {
  allUpdates,
  APOLOGY,
  deliveredSends,
  expectAnswered,
  expectWorkersSurvivedAndStop,
  fatesOf,
  llmOutage,
  replyTo,
  say,
  sayInChats,
  sentByChat,
  startFaultWorld,
  workerLogged,
  type FaultWorld,
} from './fault-world.js';

/*
 * The fate table of the README ("When things fail: every message gets a fate"), proven on real processes: two
 * `threadline bot telegram` webhook workers on Postgres, the fake LLM and the fake Bot API failing on cue. Each
 * case ends with: no worker died, every message answered exactly once or dead-lettered (the user told when they
 * can be), the chat's next message answered, and the stored history holding each answered turn once, in order.
 * Timings are printed as information only: a loaded machine must not fail these tests.
 */

let world: FaultWorld | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

/** Short enough for a test, long enough for one retry after a one-second back-off. */
const LLM_FLAGS = ['--llm-retry-window', '3', '--llm-timeout', '1'];

const BLOCKED: TelegramErrorAnswer = { error_code: 403, description: 'Forbidden: bot was blocked by the user' };
const TOO_LONG: TelegramErrorAnswer = { error_code: 400, description: 'Bad Request: message is too long' };

const texts = (chats: number[], label: (chatId: number) => string[]) => new Map(chats.map((chatId) => [chatId, label(chatId)]));

describe('threadline bot telegram on Postgres, 2 webhook workers: every message gets a fate', () => {
  it('an LLM outage shorter than the retry window: every message sent meanwhile answered exactly once, nothing dead', async () => {
    const outage = llmOutage({ status: 500 });
    // 1.5 s of outage: calls at ~0 s and ~1 s fail, the one at ~3 s (back-off 1 s, then 2 s) is answered.
    world = await startFaultWorld('f_short_out', { handler: outage.handler, args: ['--llm-retry-window', '6', '--llm-timeout', '1'] });
    const endsAt = outage.begin(1_500);
    // Chats 11-13 write at the outage's start and again during it (queued behind their first message); chat 14
    // only during it, so its message meets the outage on its own first call.
    const first = await sayInChats(world, texts([11, 12, 13], (c) => [`c${c} m0`]));
    await sleep(700);
    const second = await sayInChats(world, texts([11, 12, 13, 14], (c) => [`c${c} m${c === 14 ? 0 : 1}`]));

    const fates = await fatesOf(world, allUpdates(first, second));
    const answeredAt = fates.map((f) => f.entry.doneAt!.getTime() - endsAt).sort((a, b) => a - b);
    console.log(`short outage: answers ${answeredAt.join(', ')} ms after the outage ended; ${world.llm.requests.length} LLM calls for ${fates.length} messages`);
    // Retried within the message's one attempt: no deferral, no dead entry, no apology.
    for (const fate of fates) expect(fate.entry).toMatchObject({ status: 'done', attempts: 1 });
    await withStore(world.db, async (store) => expect(await store.listInbox({ status: 'dead' })).toEqual([]));
    const sent = sentByChat(first, second);
    for (const [chatId, chatTexts] of sent) await expectAnswered(world, chatId, chatTexts);

    await fatesOf(world, [await say(world, 14, 'c14 m1')]);
    await expectAnswered(world, 14, ['c14 m0', 'c14 m1']);
    await expectWorkersSurvivedAndStop(world);
  });

  it('an LLM outage longer than the retry window: each message dead with one apology; after the outage the next message is answered', async () => {
    const outage = llmOutage({ status: 500 });
    // Calls at ~0 s and ~1 s fail; the next back-off (~2 s) would end past the 2 s window: given up on.
    world = await startFaultWorld('f_long_out', { handler: outage.handler, args: ['--llm-retry-window', '2', '--llm-timeout', '1'] });
    const chats = [21, 22];
    outage.begin();
    const during = await sayInChats(world, texts(chats, (c) => [`c${c} m0`, `c${c} m1`]));

    for (const fate of await fatesOf(world, allUpdates(during), { told: true })) {
      // The LLM's failure is transient, but its window is spent: dead on the first attempt, not deferred.
      expect(fate.entry).toMatchObject({ status: 'dead', attempts: 1, lastError: expect.stringMatching(/HTTP 500/) });
      expect(fate.notices.map((n) => n.text)).toEqual([expect.stringMatching(APOLOGY)]);
      expect(fate.notices[0].text).toMatch(/did not answer/);
    }
    const endedAt = outage.end();
    const after = await sayInChats(world, texts(chats, (c) => [`c${c} after`]));
    const answeredAt = (await fatesOf(world, allUpdates(after))).map((f) => f.entry.doneAt!.getTime() - endedAt);
    console.log(`long outage: the next messages answered ${answeredAt.join(', ')} ms after the outage ended; apology: "${textsIn(world.tg, 21)[0]}"`);
    for (const chatId of chats) await expectAnswered(world, chatId, [`c${chatId} after`], [expect.stringMatching(APOLOGY), expect.stringMatching(APOLOGY)]);
    await expectWorkersSurvivedAndStop(world);
  });

  it('a hung LLM call: timed out, retried, then one apology; the next message (the LLM healthy again) is answered', async () => {
    const outage = llmOutage({ hang: true });
    // Each call fails after 0.5 s of silence; the second one ends the 2 s window.
    world = await startFaultWorld('f_llm_hang', { handler: outage.handler, args: ['--llm-timeout', '0.5', '--llm-retry-window', '2'] });
    outage.begin();
    const hung = await say(world, 31, 'c31 are you there?');
    const [fate] = await fatesOf(world, [hung], { told: true });
    const calls = requestsFor(world.llm, hung.message.text).length;
    console.log(`hang: apology ${fate.notices[0].at.getTime() - fate.entry.receivedAt.getTime()} ms after the message, after ${calls} hung LLM calls`);
    expect(fate.entry).toMatchObject({ status: 'dead', attempts: 1 });
    expect(fate.notices.map((n) => n.text)).toEqual([expect.stringMatching(APOLOGY)]);
    // Timed out and asked again, not given up on at the first silence.
    expect(calls).toBeGreaterThanOrEqual(2);

    outage.end();
    await fatesOf(world, [await say(world, 31, 'c31 hello again')]);
    await expectAnswered(world, 31, ['c31 hello again'], fate.notices.map((n) => n.text));
    await expectWorkersSurvivedAndStop(world);
  });

  it('a truncated stream, a garbage body, an empty completion (once each): each message answered once, with the real reply', async () => {
    const faults = new Map<string, FakeReply>([
      // Cut off mid-answer: a prefix of the real reply is streamed, and must not be what stays.
      ['c41 m0', { truncate: true, content: replyTo('c41 m0', 0).slice(0, 15) }],
      ['c42 m0', { garbage: true }],
      ['c43 m0', { empty: true }],
    ]);
    world = await startFaultWorld('f_unusable', {
      args: LLM_FLAGS,
      handler: (request) => {
        // Each fault answers the first call for its message only.
        const text = userTexts(request).at(-1)!;
        const fault = faults.get(text);
        faults.delete(text);
        return fault ?? defaultHandler(request);
      },
    });
    const chats = [41, 42, 43];
    const first = await sayInChats(world, texts(chats, (c) => [`c${c} m0`]));
    for (const fate of await fatesOf(world, allUpdates(first))) expect(fate.entry).toMatchObject({ status: 'done', attempts: 1 });
    const second = await sayInChats(world, texts(chats, (c) => [`c${c} m1`]));
    await fatesOf(world, allUpdates(second));

    for (const [chatId, chatTexts] of sentByChat(first, second)) {
      // The unusable answer once, then the real one.
      expect(requestsFor(world.llm, chatTexts[0])).toHaveLength(2);
      await expectAnswered(world, chatId, chatTexts);
    }
    // The placeholder for an empty answer never reached a chat.
    expect(world.tg.messages.filter((m) => m.text === '(no reply)')).toEqual([]);
    await expectWorkersSurvivedAndStop(world);
  });

  it('Telegram 403 "bot was blocked": that message dead without an apology, the one queued behind it dead without the LLM, other chats unaffected; after unblocking the chat is answered', async () => {
    world = await startFaultWorld('f_tg_403', {
      // Slow on the first message, so the second is queued behind it when the block is found.
      handler: async (request) => ({ ...(await defaultHandler(request)), ...(userTexts(request).at(-1) === 'c51 m0' ? { delayMs: 500 } : {}) }),
    });
    world.tg.failCalls({ method: 'sendMessage', chatId: 51, times: Infinity, error: BLOCKED });
    const sent = await sayInChats(world, texts([51, 52, 53], (c) => (c === 51 ? ['c51 m0', 'c51 m1'] : [`c${c} m0`])));

    const [blocked, queued] = await fatesOf(world, sent.get(51)!);
    expect(blocked.entry).toMatchObject({ status: 'dead', attempts: 1, lastError: BLOCKED.description });
    expect(queued.entry).toMatchObject({ status: 'dead', lastError: expect.stringMatching(/unreachable: Forbidden: bot was blocked/) });
    // Nobody to tell: no apology tried, nothing delivered to the chat.
    expect([...blocked.notices, ...queued.notices]).toEqual([]);
    expect(deliveredSends(world, 51)).toEqual([]);
    expect(requestsFor(world.llm, 'c51 m0')).toHaveLength(1);
    expect(requestsFor(world.llm, 'c51 m1')).toHaveLength(0);
    await fatesOf(world, [...sent.get(52)!, ...sent.get(53)!]);
    for (const chatId of [52, 53]) await expectAnswered(world, chatId, [`c${chatId} m0`]);

    world.tg.clearFailures();
    await fatesOf(world, [await say(world, 51, 'c51 unblocked')]);
    await expectAnswered(world, 51, ['c51 unblocked']);
    await expectWorkersSurvivedAndStop(world);
  });

  it('Telegram 429 (retry_after 1) on the reply: delivered on the second attempt from the draft, the LLM asked once', async () => {
    // Not streaming: the complete reply is the chat's first sendMessage, so the 429 hits the delivery itself.
    world = await startFaultWorld('f_tg_429', { args: ['--no-stream'] });
    world.tg.failCalls({ method: 'sendMessage', chatId: 61, error: { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 } });
    const [fate] = await fatesOf(world, [await say(world, 61, 'c61 m0')]);
    // A rate limit says nothing about the message: its attempt is not counted (the next one has its number again).
    expect(fate.entry).toMatchObject({ status: 'done', attempts: 1 });
    const [refused, delivered] = fate.attempts;
    expect(fate.attempts.map((a) => a.attempt)).toEqual([1, 1]);
    expect(refused).toMatchObject({ stage: 'delivering', errorClass: 'transient', error: expect.stringMatching(/Too Many Requests/) });
    console.log(`429: delivered ${fate.entry.doneAt!.getTime() - refused.endedAt!.getTime()} ms after the refusal; attempts by ${refused.worker} then ${delivered.worker}`);
    expect(requestsFor(world.llm, 'c61 m0')).toHaveLength(1);

    await fatesOf(world, [await say(world, 61, 'c61 m1')]);
    await expectAnswered(world, 61, ['c61 m0', 'c61 m1']);
    await expectWorkersSurvivedAndStop(world);
  });

  it('Telegram 400 "message is too long" on every send to a chat: dead, the LLM asked once; after clearing, its next message is answered', async () => {
    world = await startFaultWorld('f_tg_400');
    world.tg.failCalls({ method: 'sendMessage', chatId: 71, times: Infinity, error: TOO_LONG });
    const [fate] = await fatesOf(world, [await say(world, 71, 'c71 m0')]);
    expect(fate.entry).toMatchObject({ status: 'dead', attempts: 1, lastError: TOO_LONG.description });
    expect(requestsFor(world.llm, 'c71 m0')).toHaveLength(1);
    // The apology is refused like every other send to the chat: tried, not recorded as told.
    await workerLogged(world, /could not tell the user their message was given up on/);
    await withStore(world.db, async (store) => expect((await store.inboxTimeline(fate.entry.id))!.notices).toEqual([]));
    expect(deliveredSends(world, 71)).toEqual([]);

    world.tg.clearFailures();
    await fatesOf(world, [await say(world, 71, 'c71 m1')]);
    await expectAnswered(world, 71, ['c71 m1']);
    await expectWorkersSurvivedAndStop(world, /could not tell the user their message was given up on/);
  });

  it('the ledger records the outcome of the attempt that answered a message (`threadline inbox explain`)', async () => {
    world = await startFaultWorld('f_ledger', { workers: 1 });
    const [fate] = await fatesOf(world, [await say(world, 81, 'c81 m0')]);
    expect(fate.entry).toMatchObject({ status: 'done', attempts: 1 });
    expect(fate.attempts).toEqual([expect.objectContaining({ attempt: 1, endedAt: expect.any(Date), stage: 'committed' })]);
    await expectWorkersSurvivedAndStop(world);
  });
});
