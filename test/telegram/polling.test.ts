import { afterEach, describe, expect, it } from 'vitest';
import { sqliteTestFile } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { chatSession, pairs, requestsFor, startWorker, startWorld, stopWorker, textsIn, userTexts, withStore, type World } from './bot-harness.js';

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

describe('threadline bot telegram: long polling on SQLite', () => {
  it('answers several chats in the right chats, each with its own history, streaming by edits', async () => {
    world = await startWorld(sqliteTestFile('polling'), (request) => {
      const last = userTexts(request).at(-1) ?? '';
      // Long enough to stream in several deltas, slow enough for at least one edit before the end.
      return { content: `Answer to ${last}: ${'word '.repeat(30)}done.`, delayMs: 0 };
    });
    const { tg, llm } = world;
    const worker = await startWorker(world);
    const chats = [11, 22, 33];
    for (const chatId of chats) tg.pushUpdate(tg.textUpdate({ chatId, userId: chatId, text: `first from ${chatId}` }));
    await tg.waitFor((f) => chats.every((c) => f.messagesInChat(c).some((m) => m.text.endsWith('done.'))), 15_000);
    for (const chatId of chats) tg.pushUpdate(tg.textUpdate({ chatId, userId: chatId, text: `second from ${chatId}` }));
    await tg.waitFor((f) => chats.every((c) => f.messagesInChat(c).filter((m) => m.text.endsWith('done.')).length === 2), 15_000);

    for (const chatId of chats) {
      const expected = [`first from ${chatId}`, `second from ${chatId}`].map((t) => `Answer to ${t}: ${'word '.repeat(30)}done.`);
      expect(textsIn(tg, chatId)).toEqual(expected);
      // The second request of a chat carries its first exchange, and nothing of the other chats.
      const [second] = requestsFor(llm, `second from ${chatId}`);
      expect(second.messages.filter((m) => m.role !== 'system').map((m) => [m.role, m.content])).toEqual([
        ['user', `first from ${chatId}`],
        ['assistant', expected[0]],
        ['user', `second from ${chatId}`],
      ]);
    }
    expect(llm.requests).toHaveLength(6);
    // Each reply was posted once, then edited as it streamed; the last edit is the full answer.
    expect(tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(6);
    expect(tg.chatActions.filter((a) => a.action === 'typing').length).toBeGreaterThanOrEqual(6);
    for (const sent of tg.messages) {
      const edits = tg.edits.filter((e) => e.chat_id === sent.chat_id && e.message_id === sent.message_id);
      expect(edits.length).toBeGreaterThan(0);
      expect(edits.at(-1)!.text).toBe(sent.text);
    }
    expect(tg.calls.filter((c) => c.error && c.method !== 'getUpdates')).toEqual([]);

    await stopWorker(worker);
    await withStore(world.db, async (store) => {
      for (const chatId of chats) {
        expect(pairs(await store.fullHistory(chatSession(chatId)))).toEqual([
          ['user', `first from ${chatId}`],
          ['assistant', textsIn(tg, chatId)[0]],
          ['user', `second from ${chatId}`],
          ['assistant', textsIn(tg, chatId)[1]],
        ]);
      }
    });
  });

  it('resumes after a graceful stop: a new process continues the same conversation', async () => {
    world = await startWorld(sqliteTestFile('resume'));
    const { tg, llm } = world;
    const first = await startWorker(world);
    tg.pushUpdate(tg.textUpdate({ chatId: 5, userId: 5, text: 'remember the number 42' }));
    await tg.waitFor((f) => f.messagesInChat(5).some((m) => m.text.startsWith('reply to: remember') && m.text.endsWith(')')), 10_000);
    await stopWorker(first);
    expect(first.proc.stdoutText).toMatch(/"msg":"bot runner stopped"/);

    const second = await startWorker(world);
    tg.pushUpdate(tg.textUpdate({ chatId: 5, userId: 5, text: 'what was the number?' }));
    await tg.waitFor((f) => f.messagesInChat(5).some((m) => m.text.startsWith('reply to: what was')), 10_000);
    const [request] = requestsFor(llm, 'what was the number?');
    expect(userTexts(request)).toEqual(['remember the number 42', 'what was the number?']);
    expect(textsIn(tg, 5)).toEqual(['reply to: remember the number 42 (saw 2 messages)', 'reply to: what was the number? (saw 4 messages)']);
    await stopWorker(second);
  });
});
