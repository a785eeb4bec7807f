import { afterEach, describe, expect, it } from 'vitest';
import { defaultHandler, type FakeHandler, type FakeReply } from '../fakes/fake-openai-server.js';
import { postWebhookUpdate, type ApiCall, type TextMessageUpdate } from '../fakes/fake-telegram-server.js';
import { killAll } from '../support/processes.js';
import { pairs, textsIn, WEBHOOK_SECRET, withStore, type Worker } from '../telegram/bot-harness.js';
import { eventKey, expectAnswered, expectWorkersSurvivedAndStop, fatesOf, replyTo, say, startFaultWorld, type FaultWorld } from './fault-world.js';

/*
 * Telegram's rate limits, for real: two `threadline bot telegram` webhook workers on one Postgres pacing their sends
 * through budgets in the store, and the fake Bot API answering 429 (retry_after 2 s) to every send and edit in one
 * group for a while. Members of the group have sessions of their own (--session-scope user), so both workers send
 * to the group at once. What the fake recorded shows the limits kept; the inbox and the chats show nothing lost.
 */

let world: FaultWorld | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

const PRIVATE = 4242;
const GROUP = -100_777;
const MEMBERS = [501, 502, 503, 504];
const RETRY_AFTER_S = 2;
/** How long the fake answers 429 to the group. */
const LIMITED_FOR_MS = 3_500;
/** Telegram's default for a private chat (not overridden here). */
const PRIVATE_LIMIT = { ratePerSec: 1, burst: 3 };
/** The group's limit, raised from Telegram's 20 a minute so the test stays short (--send-limit group=2/s:2). */
const GROUP_LIMIT = { ratePerSec: 2, burst: 2 };
/**
 * After a 429 is answered, how long sends already on their way (taken from the budget before the worker that got
 * the 429 recorded the pause) may still arrive.
 */
const IN_FLIGHT_MS = 250;
/** Times at the fake trail the store's grants by up to this much (a loaded machine's scheduling). */
const ARRIVAL_SLACK_S = 0.25;

/** Streams word by word, 60 ms apart, so every reply is edited as it streams unless the budget says otherwise. */
const slowStream: FakeHandler = async (request) => ({ ...((await defaultHandler(request)) as FakeReply), chunkDelayMs: 60 });

const isSend = (c: ApiCall) => c.method === 'sendMessage' || c.method === 'editMessageText';
const sendsTo = (w: FaultWorld, chatId: number) => w.tg.calls.filter((c) => isSend(c) && String(c.params.chat_id) === String(chatId));

/** Posts to this worker until it answers 200 (as Telegram redelivers a 5xx). */
async function deliverTo(worker: Worker, update: TextMessageUpdate): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const { status } = await postWebhookUpdate(worker.webhookUrl!, update, WEBHOOK_SECRET).catch(() => ({ status: 0 }));
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`update ${update.update_id} not acknowledged`);
}

/** Most sends between two recorded ones beyond what the bucket allows (≤ 0: within it), over every pair. */
function worstExcess(calls: ApiCall[], limit: { ratePerSec: number; burst: number }): number {
  let worst = -Infinity;
  for (let i = 0; i < calls.length; i++) {
    for (let j = i; j < calls.length; j++) {
      worst = Math.max(worst, j - i + 1 - (limit.burst + limit.ratePerSec * ((calls[j].at - calls[i].at) / 1000 + ARRIVAL_SLACK_S)));
    }
  }
  return worst;
}

describe('Telegram rate limits shared by two workers on one Postgres', () => {
  it("a group's 429 pauses both workers, a private chat stays within 1 a second, and every message gets its whole reply", async () => {
    world = await startFaultWorld('ratelim', {
      handler: slowStream,
      sendLimits: true,
      // Two sessions at a time per worker: with four members' sessions held up by the pause (and the private chat
      // busy), neither worker can hold them all, so both are sending to the group while it is paused.
      args: ['--session-scope', 'user', '--group-policy', 'respond_all', '--concurrency', '2', '--send-limit', `group=${GROUP_LIMIT.ratePerSec}/s:${GROUP_LIMIT.burst}`],
    });
    const { tg } = world;
    const started = Date.now();
    const tooMany = { error_code: 429, description: `Too Many Requests: retry after ${RETRY_AFTER_S}`, retry_after: RETRY_AFTER_S };
    for (const method of ['sendMessage', 'editMessageText']) tg.failCalls({ method, chatId: GROUP, forMs: LIMITED_FOR_MS, error: tooMany });

    // Each member writes twice, through "their" worker (half the members each), all members at once; meanwhile a
    // private chat writes five times in a row.
    const w = world;
    const groupUpdates = new Map<number, TextMessageUpdate[]>();
    const privateTexts = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const [, privateUpdates] = await Promise.all([
      Promise.all(
        MEMBERS.map(async (member, i) => {
          const sent: TextMessageUpdate[] = [];
          for (const text of [`g${member} a`, `g${member} b`]) {
            const update = tg.textUpdate({ chatId: GROUP, userId: member, text, firstName: `M${member}` });
            await deliverTo(w.workers[i % 2], update);
            sent.push(update);
          }
          groupUpdates.set(member, sent);
        }),
      ),
      (async () => {
        const sent: TextMessageUpdate[] = [];
        for (const text of privateTexts) sent.push(await say(w, PRIVATE, text));
        return sent;
      })(),
    ]);
    const all = [...[...groupUpdates.values()].flat(), ...privateUpdates];
    const fates = await fatesOf(world, all, { timeoutMs: 40_000 });
    const tookMs = Date.now() - started;

    // Nothing lost, nothing cut: every entry answered, each chat showing exactly its whole replies.
    expect(fates.map((f) => f.entry.status)).toEqual(all.map(() => 'done'));
    await expectAnswered(world, PRIVATE, privateTexts);
    // In a group the model is told who speaks (`M501: …`), and the fake model quotes it.
    const groupReply = (member: number, text: string, turn: number) => replyTo(`M${member}: ${text}`, turn);
    const expectedGroup = MEMBERS.flatMap((member) => [groupReply(member, `g${member} a`, 0), groupReply(member, `g${member} b`, 1)]);
    expect([...textsIn(tg, GROUP)].sort()).toEqual([...expectedGroup].sort());
    await withStore(world.db, async (store) => {
      for (const member of MEMBERS) {
        const [first, second] = groupUpdates.get(member)!;
        const session = (await store.inboxTimeline(eventKey(first)))!.entry.sessionId;
        expect((await store.inboxTimeline(eventKey(second)))!.entry.sessionId).toBe(session);
        expect(pairs(await store.fullHistory(session))).toEqual([
          ['user', `g${member} a`],
          ['assistant', groupReply(member, `g${member} a`, 0)],
          ['user', `g${member} b`],
          ['assistant', groupReply(member, `g${member} b`, 1)],
        ]);
      }
    });

    // The pause: after each 429, no send or edit reached the group from either worker until retry_after had passed
    // (but those already on their way when it was answered).
    const groupSends = sendsTo(world, GROUP);
    const refused = groupSends.filter((c) => c.error?.startsWith('Too Many Requests'));
    expect(refused.length).toBeGreaterThan(0);
    const windows = refused.map((c) => ({ from: c.at, until: c.at + RETRY_AFTER_S * 1000 }));
    const duringPauses = groupSends.filter((c) => windows.some((p) => c.at > p.from + IN_FLIGHT_MS && c.at < p.until));
    expect(duringPauses.map((c) => `${c.method} at +${c.at - started} ms`)).toEqual([]);
    // Both workers were answering the group while it was paused: the pause held them both.
    const workersPaused = new Set<string>();
    await withStore(world.db, async (store) => {
      for (const update of [...groupUpdates.values()].flat()) {
        for (const attempt of (await store.inboxTimeline(eventKey(update)))!.attempts) {
          const end = attempt.endedAt?.getTime() ?? Date.now();
          if (windows.some((p) => attempt.startedAt.getTime() < p.until && end > p.from + IN_FLIGHT_MS)) workersPaused.add(attempt.worker.split('/')[0]);
        }
      }
    });
    expect(workersPaused.size).toBe(2);
    // Under that pressure replies stopped streaming: some went out once, whole, in a single sendMessage.
    const wholeAtOnce = groupSends.filter((c) => c.method === 'sendMessage' && c.error === undefined && expectedGroup.includes(String(c.params.text)));
    expect(wholeAtOnce.length).toBeGreaterThan(0);

    // The budgets: the private chat at 1 a second (bursts of 3), the group at its limit, over the whole test.
    const privateSends = sendsTo(world, PRIVATE);
    expect(worstExcess(privateSends, PRIVATE_LIMIT)).toBeLessThanOrEqual(0);
    expect(worstExcess(groupSends, GROUP_LIMIT)).toBeLessThanOrEqual(0);
    // Still streamed where the budget allowed: the private replies were edited as they grew.
    expect(privateSends.some((c) => c.method === 'editMessageText')).toBe(true);

    const privateSpan = (privateSends.at(-1)!.at - privateSends[0].at) / 1000;
    console.log(
      `rate limits: ${all.length} messages answered in ${tookMs} ms; group: ${refused.length} answered 429, ${groupSends.length} sends and edits, ` +
        `${wholeAtOnce.length} replies sent whole at once, pauses held ${workersPaused.size} workers; private: ${privateSends.length} sends and edits in ${privateSpan.toFixed(1)} s ` +
        `(${(privateSends.length / privateSpan).toFixed(2)}/s), worst excess over the bucket ${worstExcess(privateSends, PRIVATE_LIMIT).toFixed(2)}`,
    );
    await expectWorkersSurvivedAndStop(world);
  });
});
