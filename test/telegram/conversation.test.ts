import { afterEach, describe, expect, it } from 'vitest';
import { menuCommands } from '../../src/runner/commands.js';
import { defaultHandler, type FakeHandler } from '../fakes/fake-openai-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { chatSession, loggedErrors, pairs, requestsFor, startWorker, startWorld, stopWorker, textsIn, userTexts, withStore, type World } from './bot-harness.js';

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

/** A handler that holds the answer to `text` until `release()`; everything else answers at once. */
function gatedOn(text: string): { handler: FakeHandler; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    handler: async (request) => {
      if (userTexts(request).at(-1) === text) await gate;
      return defaultHandler(request);
    },
  };
}

describe('threadline bot telegram: messages sent mid-turn (SQLite, polling)', () => {
  it.each([
    { mode: 'sequential', args: [] as string[] },
    { mode: 'collect', args: ['--queue-mode', 'collect'] },
  ])('$mode: 3 messages sent during a turn are answered after it, in order', async ({ mode, args }) => {
    const { handler, release } = gatedOn('slow question');
    world = await startWorld(sqliteTestFile(`midturn_${mode}`), handler);
    const { tg, llm } = world;
    const worker = await startWorker(world, { args });
    tg.pushUpdate(tg.textUpdate({ chatId: 9, userId: 9, text: 'slow question' }));
    await tg.waitFor(() => llm.requests.length === 1, 15_000);
    for (const text of ['one', 'two', 'three']) tg.pushUpdate(tg.textUpdate({ chatId: 9, userId: 9, text }));
    // Acknowledged (the next getUpdates offset) only once recorded in the inbox: all three wait there now.
    await tg.waitFor((f) => f.pendingUpdates.length === 0 && f.calls.at(-1)?.method === 'getUpdates', 15_000);
    expect(llm.requests).toHaveLength(1);
    release();

    if (mode === 'sequential') {
      await tg.waitFor((f) => f.messagesInChat(9).filter((m) => m.text.endsWith(')')).length === 4, 15_000);
      expect(textsIn(tg, 9)).toEqual([
        'reply to: slow question (saw 2 messages)',
        'reply to: one (saw 4 messages)',
        'reply to: two (saw 6 messages)',
        'reply to: three (saw 8 messages)',
      ]);
      expect(llm.requests.map(userTexts)).toEqual([['slow question'], ['slow question', 'one'], ['slow question', 'one', 'two'], ['slow question', 'one', 'two', 'three']]);
    } else {
      await tg.waitFor((f) => f.messagesInChat(9).filter((m) => m.text.endsWith(')')).length === 2, 15_000);
      // One turn for all three, the model seeing them in order after the first exchange.
      expect(llm.requests.map(userTexts)).toEqual([['slow question'], ['slow question', 'one', 'two', 'three']]);
      expect(textsIn(tg, 9)).toEqual(['reply to: slow question (saw 2 messages)', 'reply to: three (saw 6 messages)']);
    }
    await stopWorker(worker);
    const expectedHistory =
      mode === 'sequential'
        ? ['slow question', 'one', 'two', 'three'].flatMap((t, i) => [['user', t], ['assistant', textsIn(tg, 9)[i]]])
        : [['user', 'slow question'], ['assistant', textsIn(tg, 9)[0]], ['user', 'one'], ['user', 'two'], ['user', 'three'], ['assistant', textsIn(tg, 9)[1]]];
    await withStore(world.db, async (store) => expect(pairs(await store.fullHistory(chatSession(9)))).toEqual(expectedHistory));
    expect(loggedErrors(worker)).toEqual([]);
  });
});

describe('threadline bot telegram: commands (SQLite, polling)', () => {
  it('/start /help /status /history /new: a fresh conversation leaves the old turns out of the next request', async () => {
    world = await startWorld(sqliteTestFile('commands'));
    const { tg, llm } = world;
    const worker = await startWorker(world);
    // The command menu, derived from the runner's list: its commands but /ask (any plain message asks on Telegram).
    const menu = await tg.waitFor((f) => f.myCommands, 15_000);
    expect(menu).toEqual(menuCommands().filter((c) => !c.text).map((c) => ({ command: c.name, description: c.description })));
    expect(menu.map((c) => c.command)).toEqual(['new', 'status', 'stop', 'history', 'help']);
    /** Sends a text and returns the bot's answer once complete (a streamed reply ends with its "(saw N messages)"). */
    const say = async (text: string) => {
      const before = tg.messagesInChat(4).length;
      tg.pushUpdate(tg.textUpdate({ chatId: 4, userId: 4, text }));
      const done = (reply: string) => text.startsWith('/') || reply.endsWith(')');
      return tg.waitFor((f) => f.messagesInChat(4).length > before && done(f.messagesInChat(4).at(-1)!.text) && f.messagesInChat(4).at(-1)!.text, 15_000);
    };

    expect(await say('/start')).toMatch(/^Hi! I'm Threadline\./);
    expect(await say('/help')).toMatch(/\/new - start a fresh conversation[\s\S]*\/stop - abort/);
    expect(await say('/history')).toBe('This conversation is empty.');
    expect(await say('my name is Ada')).toBe('reply to: my name is Ada (saw 2 messages)');
    expect(await say('/status')).toBe(`Session: ${chatSession(4)}\nMessages: 2\nModel: gpt-test`);
    expect(await say('/history')).toMatch(/^2 messages since .* UTC\. Latest:\nyou: my name is Ada\nbot: reply to: my name is Ada/);

    const started = await say('/new');
    expect(started).toBe(`Started a new conversation. The previous one is kept as ${chatSession(4)}.`);
    expect(await say('what is my name?')).toBe('reply to: what is my name? (saw 2 messages)');
    expect(userTexts(requestsFor(llm, 'what is my name?')[0])).toEqual(['what is my name?']);
    const status = await say('/status');
    const fresh = /^Session: (\S+)\nMessages: 2\nModel: gpt-test$/.exec(status)?.[1];
    expect(fresh).toMatch(new RegExp(`^${chatSession(4)}~`));
    await stopWorker(worker);

    await withStore(world.db, async (store) => {
      // The old conversation is kept, and listed.
      expect(pairs(await store.fullHistory(chatSession(4)))).toEqual([['user', 'my name is Ada'], ['assistant', 'reply to: my name is Ada (saw 2 messages)']]);
      expect(pairs(await store.fullHistory(fresh!))).toEqual([['user', 'what is my name?'], ['assistant', 'reply to: what is my name? (saw 2 messages)']]);
      const listed = (await store.listSessions({ prefix: chatSession(4) })).sessions.map((s) => s.id);
      expect(listed).toEqual(expect.arrayContaining([chatSession(4), fresh]));
    });
    expect(loggedErrors(worker)).toEqual([]);
  });

  it('a refused command menu (setMyCommands) is a warning: the bot starts, and typed commands work', async () => {
    world = await startWorld(sqliteTestFile('menu_refused'));
    const { tg } = world;
    tg.failCalls({ method: 'setMyCommands', error: { error_code: 400, description: 'Bad Request: BOT_COMMAND_INVALID' } });
    const worker = await startWorker(world);
    const warning = await worker.proc.waitForLine(/could not set the Telegram command menu/, 15_000);
    expect(JSON.parse(warning)).toMatchObject({ level: 40, reason: 'Bad Request: BOT_COMMAND_INVALID' });
    tg.pushUpdate(tg.textUpdate({ chatId: 5, userId: 5, text: '/help' }));
    await tg.waitFor((f) => f.messagesInChat(5).some((m) => m.text.includes('\n/new - ')), 15_000);
    expect(tg.myCommands).toBeUndefined();
    await stopWorker(worker);
    expect(loggedErrors(worker)).toEqual([]);
  });

  it('/stop aborts the running turn: nothing half-written stored, the next message answered normally', async () => {
    world = await startWorld(sqliteTestFile('stop'), (request) =>
      userTexts(request).at(-1) === 'write an essay' ? { content: 'Once upon a time, half of an essay', stallMidStream: true } : defaultHandler(request),
    );
    const { tg, llm } = world;
    const worker = await startWorker(world);
    tg.pushUpdate(tg.textUpdate({ chatId: 6, userId: 6, text: 'write an essay' }));
    // The partial reply is on screen: the turn is mid-stream.
    await tg.waitFor((f) => f.messagesInChat(6).length === 1, 15_000);
    tg.pushUpdate(tg.textUpdate({ chatId: 6, userId: 6, text: '/stop' }));
    await tg.waitFor((f) => f.messagesInChat(6).some((m) => m.text.startsWith('Stopped.')), 15_000);
    tg.pushUpdate(tg.textUpdate({ chatId: 6, userId: 6, text: 'hello again' }));
    await tg.waitFor((f) => f.messagesInChat(6).some((m) => m.text.startsWith('reply to: hello again')), 15_000);
    await stopWorker(worker);

    expect(textsIn(tg, 6).slice(1)).toEqual(['Stopped. Nothing of that reply was kept.', 'reply to: hello again (saw 3 messages)']);
    // The partial reply left on screen says it was cut short.
    expect(textsIn(tg, 6)[0]).toMatch(/^Once upon a time.* … \(stopped\)$/);
    // The aborted request was not asked again.
    expect(llm.requests.map((r) => userTexts(r).at(-1))).toEqual(['write an essay', 'hello again']);
    await withStore(world.db, async (store) => {
      const history = await store.fullHistory(chatSession(6));
      // The question is kept (marked interrupted), no partial answer.
      expect(pairs(history)).toEqual([['user', 'write an essay'], ['user', 'hello again'], ['assistant', 'reply to: hello again (saw 3 messages)']]);
      expect(history[0].metadata).toMatchObject({ interrupted: true });
    });
    expect(loggedErrors(worker)).toEqual([]);
  });
});
