import { afterEach, describe, expect, it } from 'vitest';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import { postWebhookUpdate } from '../fakes/fake-telegram-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { chatSession, loggedErrors, spawnWorker, startWorker, startWorld, stopWorker, textsIn, userTexts, WEBHOOK_SECRET, withStore, type World } from './bot-harness.js';

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

const LIMIT = 4096;
/** Three paragraphs, together well over two Telegram messages. */
const LONG_ANSWER = [1, 2, 3].map((p) => `Paragraph ${p}. ${'This sentence fills the paragraph. '.repeat(100).trim()}`).join('\n\n');

describe('threadline bot telegram: who may talk (SQLite, polling)', () => {
  it('--allow: others get one "not authorised" reply and nothing is stored; groups answer only when addressed', async () => {
    world = await startWorld(sqliteTestFile('access'));
    const { tg, llm } = world;
    const worker = await startWorker(world, { args: ['--allow', '1,2'] });
    const group = -500;
    tg.pushUpdate(tg.textUpdate({ chatId: 3, userId: 3, text: 'let me in' }));
    tg.pushUpdate(tg.textUpdate({ chatId: group, userId: 1, text: 'just chatting among ourselves' }));
    tg.pushUpdate(tg.textUpdate({ chatId: group, userId: 3, text: '@threadline_test_bot me too?' }));
    tg.pushUpdate(tg.textUpdate({ chatId: group, userId: 1, firstName: 'Bob', text: '@threadline_test_bot what do you think?' }));
    tg.pushUpdate(tg.textUpdate({ chatId: 1, userId: 1, text: 'hello' }));
    // Updates are handled in order, so once the last two are answered every earlier one was handled too.
    await tg.waitFor((f) => f.messagesInChat(1).some((m) => m.text.endsWith(')')) && f.messagesInChat(group).some((m) => m.text.endsWith(')')), 15_000);
    await stopWorker(worker);

    expect(textsIn(tg, 3)).toEqual(['Sorry, you are not authorised to use this bot.']);
    expect(textsIn(tg, group)).toEqual([
      'Sorry, you are not authorised to use this bot.',
      'reply to: Bob: @threadline_test_bot what do you think? (saw 2 messages)',
    ]);
    // In a group the model is told who speaks.
    expect(llm.requests.map((r) => userTexts(r).at(-1))).toEqual(['Bob: @threadline_test_bot what do you think?', 'hello']);
    await withStore(world.db, async (store) => {
      expect(await store.getSession(chatSession(3))).toBeNull();
      expect((await store.fullHistory(chatSession(group))).map((m) => [m.name, m.content])).toEqual([
        ['Bob', '@threadline_test_bot what do you think?'],
        [undefined, 'reply to: Bob: @threadline_test_bot what do you think? (saw 2 messages)'],
      ]);
    });
    expect(loggedErrors(worker)).toEqual([]);
  });
});

describe('threadline bot telegram: bad input and long replies (SQLite, webhook)', () => {
  it('rejects a wrong or missing secret (401) and malformed JSON (400) storing nothing; refuses oversized text; splits long replies', async () => {
    world = await startWorld(sqliteTestFile('input'), (request) =>
      userTexts(request).at(-1) === 'tell me a long story' ? { content: LONG_ANSWER } : defaultHandler(request),
    );
    const { tg } = world;
    const worker = await startWorker(world, { webhook: true });
    const url = worker.webhookUrl!;

    const forged = tg.textUpdate({ chatId: 21, userId: 21, text: 'forged' });
    expect((await postWebhookUpdate(url, forged, 'wrong-secret')).status).toBe(401);
    expect((await postWebhookUpdate(url, forged)).status).toBe(401);
    const malformed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: '{"update_id": 1, "message": ',
    });
    expect(malformed.status).toBe(400);
    const notAnUpdate = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: '[1, 2, 3]',
    });
    expect(notAnUpdate.status).toBe(400);

    const oversized = tg.textUpdate({ chatId: 22, userId: 22, text: 'x'.repeat(16_001) });
    expect((await postWebhookUpdate(url, oversized, WEBHOOK_SECRET)).status).toBe(200);
    await tg.waitFor((f) => f.messagesInChat(22).length === 1, 15_000);
    expect(textsIn(tg, 22)).toEqual(['That message is too long (16001 characters; the limit is 16000).']);

    expect((await postWebhookUpdate(url, tg.textUpdate({ chatId: 23, userId: 23, text: 'tell me a long story' }), WEBHOOK_SECRET)).status).toBe(200);
    const expectedParts = Math.ceil(LONG_ANSWER.length / LIMIT);
    await tg.waitFor((f) => f.messagesInChat(23).length >= expectedParts && f.messagesInChat(23).at(-1)!.text.endsWith('paragraph.'), 15_000);
    await stopWorker(worker);

    const parts = textsIn(tg, 23);
    expect(parts.length).toBeGreaterThanOrEqual(expectedParts);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(LIMIT);
    // Split at paragraph bounds: nothing lost, nothing doubled.
    expect(parts.map((p) => p.trim()).join('\n\n')).toBe(LONG_ANSWER);
    expect(parts.every((p) => p.startsWith('Paragraph '))).toBe(true);
    await withStore(world.db, async (store) => {
      expect(await store.getSession(chatSession(21))).toBeNull();
      expect(await store.getSession(chatSession(22))).toBeNull();
      expect((await store.fullHistory(chatSession(23))).map((m) => m.content)).toEqual(['tell me a long story', LONG_ANSWER]);
    });
    expect(loggedErrors(worker)).toEqual([]);
  });

  it('a bad token stops start-up: non-zero exit, one line on stderr naming the token', async () => {
    world = await startWorld(sqliteTestFile('bad_token'));
    const proc = spawnWorker(world, { token: '999:not-the-token' });
    const exit = await proc.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const lines = proc.stderrText.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/token/i);
    expect(lines[0]).toMatch(/TELEGRAM_BOT_TOKEN|--token/);
    // The token itself is a secret: never printed.
    expect(proc.stderrText + proc.stdoutText).not.toContain('not-the-token');
    expect(world.tg.calls.map((c) => c.method)).toEqual(['getMe']);
  });
});
