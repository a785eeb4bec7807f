import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TurnEngine } from '../../src/core/turn-engine.js';
import { BotRunner } from '../../src/runner/bot-runner.js';
import { runnerQueues } from '../../src/runner/inbox-queue.js';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { sqliteTestFile } from '../support/databases.js';
import { inbound, ScriptedModel, ScriptedPlatform } from './runner-world.js';

/* Several bots of one platform on one store: each runner on its own queue, and the legacy platform queue still answered. */

const quiet = pino({ level: 'silent' }, new Writable({ write: (_chunk, _encoding, done) => done() }));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function store(): Promise<HistoryStore> {
  const opened = await openStore(sqliteTestFile('queues'));
  cleanups.push(() => opened.close());
  return opened;
}

function runnerFor(db: HistoryStore, platform: ScriptedPlatform): BotRunner {
  const runner = new BotRunner({
    store: db,
    engine: new TurnEngine({ name: 'Scripted', instructions: 'Be brief.', model: new ScriptedModel(), window: { maxMessages: 50 } }),
    adapter: platform,
    logger: quiet,
    pollIntervalMs: 30,
    editIntervalMs: 0,
  });
  cleanups.push(() => runner.stop());
  return runner;
}

async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An entry as a version before per-bot queues recorded it: in the platform's queue. */
async function legacyEntry(db: HistoryStore, botId: string, chatId: string, eventId: string, text: string): Promise<void> {
  const message = { ...inbound(chatId, eventId, text), botId };
  await db.enqueueInbox({ sessionId: `scripted:${botId}:${chatId}`, eventKey: `scripted:${botId}:${eventId}`, queue: 'scripted', payload: message });
}

describe('inbox queues of several bots of one platform', () => {
  it('are named <platform>:<bot id> (escaped like session ids), or as the adapter says, or by platform for no bot id', () => {
    expect(runnerQueues({ platform: 'telegram', botId: '7000000001' })).toEqual({
      queue: 'telegram:7000000001',
      also: { queue: 'telegram', sessionPrefix: 'telegram:7000000001:' },
    });
    expect(runnerQueues({ platform: 'slack', botId: 'T:1' }).queue).toBe('slack:T%3A1');
    expect(runnerQueues({ platform: 'console', botId: 'local', queue: 'console:s1' })).toEqual({ queue: 'console:s1' });
    expect(runnerQueues({ platform: 'scripted' })).toEqual({ queue: 'scripted' });
  });

  it("each runner records into its own queue and never takes the other bot's entries, even while that bot is down", async () => {
    const db = await store();
    const a = new ScriptedPlatform('a');
    const b = new ScriptedPlatform('b');
    const runnerA = runnerFor(db, a);
    const runnerB = runnerFor(db, b);
    await runnerA.start();
    await runnerB.start();
    expect([runnerA.queue, runnerB.queue]).toEqual(['scripted:a', 'scripted:b']);

    // The same chat id on both bots: two sessions.
    await a.say('c1', 'to a');
    await b.say('c1', 'to b');
    await until('both answered', () => a.shown('c1').length === 1 && b.shown('c1').length === 1);
    expect(a.shown('c1')).toEqual(['re: to a']);
    expect(b.shown('c1')).toEqual(['re: to b']);

    // Bot B's runner stops; what B still records waits for B, however long runner A looks.
    await runnerB.stop();
    const waiting = await db.enqueueInbox({
      sessionId: 'scripted:b:c2',
      eventKey: 'scripted:b:late',
      queue: 'scripted:b',
      payload: { ...inbound('c2', 'late', 'while b is down'), botId: 'b' },
    });
    await a.say('c3', 'a goes on');
    await until('a answered', () => a.shown('c3').length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect((await db.inboxTimeline(waiting.id!))?.entry).toMatchObject({ status: 'pending', attempts: 0 });
    expect(a.shown('c2')).toEqual([]);

    const entries = await db.listInbox({ limit: 100 });
    for (const entry of entries.filter((e) => e.status === 'done')) {
      const bot = entry.sessionId.split(':')[1];
      expect(entry.queue).toBe(`scripted:${bot}`);
      const timeline = await db.inboxTimeline(entry.id);
      expect(timeline!.attempts.map((t) => t.worker)).toEqual([expect.stringMatching(new RegExp(`^[^/]+:${process.pid}/scripted:${bot}$`))]);
    }
  });

  it("answers entries left pending in the platform's legacy queue by their own bot's runner, in order with new ones", async () => {
    const db = await store();
    // Recorded by the old version: one for bot a, one for bot b, and a second for a's chat.
    await legacyEntry(db, 'a', 'c1', 'old1', 'old for a');
    await legacyEntry(db, 'b', 'c1', 'old1', 'old for b');
    await legacyEntry(db, 'a', 'c1', 'old2', 'old again for a');
    // `scripted:ab:` is not `scripted:a:`: a bot whose id starts with another's is left alone too.
    await legacyEntry(db, 'ab', 'c1', 'old1', 'old for ab');

    const a = new ScriptedPlatform('a');
    await runnerFor(db, a).start();
    await a.say('c1', 'new for a');
    await until("a's three answered", () => a.shown('c1').length === 3);
    expect(a.shown('c1')).toEqual(['re: old for a', 're: old again for a', 're: new for a']);
    expect((await db.fullHistory('scripted:a:c1')).map((m) => m.content)).toEqual([
      'old for a', 're: old for a', 'old again for a', 're: old again for a', 'new for a', 're: new for a',
    ]);
    // Another bot's legacy entries stay for that bot.
    await new Promise((r) => setTimeout(r, 200));
    expect((await db.listInbox({ status: 'pending' })).map((e) => e.sessionId).sort()).toEqual(['scripted:ab:c1', 'scripted:b:c1']);

    const b = new ScriptedPlatform('b');
    await runnerFor(db, b).start();
    await until("b's answered", () => b.shown('c1').length === 1);
    expect(b.shown('c1')).toEqual(['re: old for b']);
    expect((await db.listInbox({ status: 'pending' })).map((e) => e.sessionId)).toEqual(['scripted:ab:c1']);
  });
});
