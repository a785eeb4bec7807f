import { afterEach, describe, expect, it } from 'vitest';
import { Telegraf, Telegram, TelegramError } from 'telegraf';
import { listenOnLoopback } from './http-json.js';
import { postWebhookUpdate, startFakeTelegram, type FakeTelegram } from './fake-telegram-server.js';

// The fake is proven with the real telegraf client: if it drifts from what telegraf expects, these fail.

const TOKEN = '123456:test-token';
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeTelegram(maxLongPollSeconds?: number): Promise<FakeTelegram> {
  const fake = await startFakeTelegram({ token: TOKEN, username: 'echo_test_bot', maxLongPollSeconds });
  cleanups.push(() => fake.close());
  return fake;
}

function echoBot(fake: FakeTelegram, token = TOKEN): Telegraf {
  const bot = new Telegraf(token, { telegram: { apiRoot: fake.apiRoot, webhookReply: false } });
  bot.on('text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
  return bot;
}

/** Launches polling and registers a cleanup that stops it and waits for launch() to settle. */
function launch(bot: Telegraf): Promise<void> {
  const running = bot.launch();
  cleanups.push(async () => {
    bot.stop('test over');
    await running;
  });
  return running;
}

describe('fake Telegram server with the real telegraf client', () => {
  it('delivers polled updates and records replies in the right chats', async () => {
    const fake = await fakeTelegram();
    const bot = echoBot(fake);
    void launch(bot);

    fake.pushUpdate(fake.textUpdate({ chatId: 11, userId: 11, text: 'hello from 11' }));
    fake.pushUpdate(fake.textUpdate({ chatId: 22, userId: 22, text: 'hello from 22' }));
    await fake.waitFor((f) => f.messages.length === 2);

    expect(fake.messagesInChat(11).map((m) => m.text)).toEqual(['echo: hello from 11']);
    expect(fake.messagesInChat(22).map((m) => m.text)).toEqual(['echo: hello from 22']);
    // Inbound messages took message_id 1 in each chat, so the replies are the second message there.
    expect(fake.messagesInChat(11)[0].message_id).toBe(2);
    expect(fake.calls.slice(0, 3).map((c) => c.method)).toEqual(['getMe', 'deleteWebhook', 'getUpdates']);
  });

  it('stops cleanly: launch() resolves after stop() and the last offset acknowledges the updates', async () => {
    const fake = await fakeTelegram();
    const bot = echoBot(fake);
    const running = bot.launch();
    fake.pushUpdate(fake.textUpdate({ chatId: 5, userId: 5, text: 'one' }));
    await fake.waitFor((f) => f.messagesInChat(5).length === 1);

    bot.stop('test');
    await expect(running).resolves.toBeUndefined();
    await fake.waitFor((f) => f.pendingUpdates.length === 0);
    expect(fake.calls.at(-1)).toMatchObject({ method: 'getUpdates', params: { limit: 1 } });
    expect(fake.calls.filter((c) => c.error)).toEqual([]);
  });

  it('makes launch() reject with 401 when the token is wrong', async () => {
    const fake = await fakeTelegram();
    const bot = echoBot(fake, '999:wrong-token');
    await expect(bot.launch()).rejects.toMatchObject({ code: 401, description: 'Unauthorized' });
    expect(fake.calls).toEqual([{ method: 'getMe', params: {}, at: expect.any(Number), error: 'Unauthorized' }]);
  });

  it('serves two bots at once: each token polls its own updates and sends as its own bot', async () => {
    const a = await fakeTelegram();
    const b = a.addBot({ token: '654321:second-token', botId: 7_000_000_002, username: 'second_test_bot' });
    expect(b.apiRoot).toBe(a.apiRoot);
    void launch(echoBot(a));
    void launch(echoBot(b, b.token));
    // Both long polls held at once: no 409 between bots, only between two pollers of one bot.
    await a.waitFor((f) => f.polling && b.polling);

    // The same user writes to both bots; each chat numbers its messages on its own bot.
    a.pushUpdate(a.textUpdate({ chatId: 11, userId: 11, text: 'to a' }));
    b.pushUpdate(b.textUpdate({ chatId: 11, userId: 11, text: 'to b' }));
    await a.waitFor(() => a.messages.length === 1 && b.messages.length === 1);

    expect(a.messagesInChat(11).map((m) => [m.text, m.message_id])).toEqual([['echo: to a', 2]]);
    expect(b.messagesInChat(11).map((m) => [m.text, m.message_id])).toEqual([['echo: to b', 2]]);
    expect((await new Telegram(b.token, { apiRoot: a.apiRoot }).getMe()).username).toBe('second_test_bot');
    expect([...a.calls, ...b.calls].filter((c) => c.error)).toEqual([]);
  });

  it('edits a sent message, and refuses an edit that changes nothing', async () => {
    const fake = await fakeTelegram();
    const bot = new Telegraf(TOKEN, { telegram: { apiRoot: fake.apiRoot, webhookReply: false } });
    bot.on('text', async (ctx) => {
      const draft = await ctx.reply('thinking…');
      await ctx.telegram.editMessageText(ctx.chat.id, draft.message_id, undefined, 'done');
      await ctx.telegram.editMessageText(ctx.chat.id, draft.message_id, undefined, 'done').catch(async (err: TelegramError) => {
        await ctx.reply(`second edit failed: ${err.code} ${err.description}`);
      });
    });
    void launch(bot);

    fake.pushUpdate(fake.textUpdate({ chatId: 7, userId: 7, text: 'go' }));
    await fake.waitFor((f) => f.messagesInChat(7).length === 2);

    const [draft, failure] = fake.messagesInChat(7);
    expect(draft.text).toBe('done');
    expect(fake.edits).toEqual([{ chat_id: 7, message_id: draft.message_id, text: 'done' }]);
    expect(failure.text).toMatch(/^second edit failed: 400 Bad Request: message is not modified/);
  });

  it('answers a second concurrent getUpdates with 409 Conflict', async () => {
    // A long hold keeps the first poll open for as long as the test needs; pushUpdate releases it.
    const fake = await fakeTelegram(30);
    const telegram = new Telegram(TOKEN, { apiRoot: fake.apiRoot });
    const first = telegram.getUpdates(50, 100, 0, []);
    await fake.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'));

    await expect(telegram.getUpdates(50, 100, 0, [])).rejects.toMatchObject({ code: 409 });

    const update = fake.textUpdate({ chatId: 3, userId: 3, text: 'wake up' });
    fake.pushUpdate(update);
    await expect(first).resolves.toEqual([update]);
  });

  it('keeps unacknowledged updates and drops them once a later offset is polled', async () => {
    const fake = await fakeTelegram();
    const telegram = new Telegram(TOKEN, { apiRoot: fake.apiRoot });
    const a = fake.textUpdate({ chatId: 1, userId: 1, text: 'a' });
    const b = fake.textUpdate({ chatId: 1, userId: 1, text: 'b' });
    fake.pushUpdate(a);
    fake.pushUpdate(b);

    expect(await telegram.getUpdates(0, 100, 0, [])).toEqual([a, b]);
    expect(await telegram.getUpdates(0, 100, a.update_id, [])).toEqual([a, b]);
    expect(await telegram.getUpdates(0, 100, b.update_id, [])).toEqual([b]);
    expect(await telegram.getUpdates(0, 100, b.update_id + 1, [])).toEqual([]);
  });

  it('builds group updates that telegraf routes as /cmd@botname commands and mentions', async () => {
    const fake = await fakeTelegram();
    const bot = new Telegraf(TOKEN, { telegram: { apiRoot: fake.apiRoot, webhookReply: false } });
    bot.command('start', (ctx) => ctx.reply('started', { message_thread_id: ctx.message.message_thread_id }));
    bot.mention('echo_test_bot', (ctx) => ctx.reply('you called?'));
    void launch(bot);

    fake.pushUpdate(fake.textUpdate({ chatId: -1001, userId: 9, text: '/start@echo_test_bot', threadId: 42 }));
    fake.pushUpdate(fake.textUpdate({ chatId: -1002, userId: 9, text: 'hey @echo_test_bot', chatType: 'group' }));
    fake.pushUpdate(fake.textUpdate({ chatId: -1003, userId: 9, text: '/start@some_other_bot' }));
    await fake.waitFor((f) => f.messagesInChat(-1001).length === 1 && f.messagesInChat(-1002).length === 1);

    expect(fake.messagesInChat(-1001, 42).map((m) => m.text)).toEqual(['started']);
    expect(fake.messagesInChat(-1002).map((m) => m.text)).toEqual(['you called?']);
    expect(fake.messagesInChat(-1003)).toEqual([]);
  });

  it('marks a reply to the bot with reply_to_message', async () => {
    const fake = await fakeTelegram();
    const telegram = new Telegram(TOKEN, { apiRoot: fake.apiRoot });
    const sent = await telegram.sendMessage(8, 'question?');
    const update = fake.textUpdate({ chatId: 8, userId: 8, text: 'answer', replyToBot: true });
    expect(update.message.reply_to_message).toMatchObject({ message_id: sent.message_id, text: 'question?' });
    expect(() => fake.textUpdate({ chatId: 9, userId: 9, text: 'x', replyToBot: true })).toThrow(/replyToBot/);
  });

  it('records chat actions, deletions and Telegram message errors', async () => {
    const fake = await fakeTelegram();
    const telegram = new Telegram(TOKEN, { apiRoot: fake.apiRoot });
    await telegram.sendChatAction(4, 'typing');
    const sent = await telegram.sendMessage(4, 'bye');
    await telegram.deleteMessage(4, sent.message_id);

    expect(fake.chatActions).toEqual([{ chat_id: 4, action: 'typing' }]);
    expect(fake.messagesInChat(4)).toEqual([]);
    expect(fake.messages[0].deleted).toBe(true);
    await expect(telegram.deleteMessage(4, sent.message_id)).rejects.toMatchObject({ code: 400 });
    await expect(telegram.sendMessage(4, 'x'.repeat(4097))).rejects.toMatchObject({ description: 'Bad Request: message is too long' });
    await expect(telegram.sendMessage(4, '  ')).rejects.toMatchObject({ description: 'Bad Request: message text is empty' });
  });

  it('keeps the command menu setMyCommands sets, and refuses commands Telegram would refuse', async () => {
    const fake = await fakeTelegram();
    const telegram = new Telegram(TOKEN, { apiRoot: fake.apiRoot });
    expect(fake.myCommands).toBeUndefined();
    await telegram.setMyCommands([{ command: 'new', description: 'fresh start' }, { command: 'help', description: 'the list' }]);
    expect(fake.myCommands).toEqual([{ command: 'new', description: 'fresh start' }, { command: 'help', description: 'the list' }]);
    expect(await telegram.getMyCommands()).toEqual(fake.myCommands);
    await expect(telegram.setMyCommands([{ command: 'Bad Name', description: 'x' }])).rejects.toMatchObject({ description: 'Bad Request: BOT_COMMAND_INVALID' });
    await expect(telegram.setMyCommands([{ command: 'ok', description: '' }])).rejects.toMatchObject({ description: 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID' });
    // A refused call leaves the menu as it was.
    expect(fake.myCommands?.map((c) => c.command)).toEqual(['new', 'help']);
    await telegram.deleteMyCommands();
    expect(fake.myCommands).toEqual([]);
  });

  it('delivers webhook updates with the secret token, and telegraf rejects a wrong secret', async () => {
    const fake = await fakeTelegram();
    const bot = echoBot(fake);
    await bot.telegram.setWebhook('https://bot.example/tg', { secret_token: 'shh' });
    expect(fake.webhook).toEqual({ url: 'https://bot.example/tg', secret_token: 'shh' });
    expect(await bot.telegram.getWebhookInfo()).toMatchObject({ url: 'https://bot.example/tg' });

    const endpoint = await listenOnLoopback(bot.webhookCallback('/tg', { secretToken: 'shh' }));
    cleanups.push(() => endpoint.close());
    const update = fake.textUpdate({ chatId: 12, userId: 12, text: 'via webhook' });

    expect((await postWebhookUpdate(`${endpoint.url}/tg`, update, 'wrong')).status).toBe(403);
    expect((await postWebhookUpdate(`${endpoint.url}/tg`, update, 'shh')).status).toBe(200);
    expect(fake.messagesInChat(12).map((m) => m.text)).toEqual(['echo: via webhook']);

    await expect(bot.telegram.getUpdates(0, 100, 0, [])).rejects.toMatchObject({ code: 409 });
    await bot.telegram.deleteWebhook();
    expect(fake.webhook).toBeUndefined();
  });
});
