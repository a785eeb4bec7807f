import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingInbox } from '../support/recording-inbox.js';
import { TelegramAdapter } from '../../adapters/telegram/telegram-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { InboundSink, RefusedEvent } from '../../src/runner/platform-adapter.js';
import { listenOnLoopback } from '../fakes/http-json.js';
import { postWebhookUpdate, startFakeTelegram, type FakeTelegram, type TelegramErrorAnswer } from '../fakes/fake-telegram-server.js';

/*
 * The adapter side of message fates on Telegram, in process: the real telegraf client against the fake Bot API
 * failing on cue, and the real webhook server fed by hand.
 */

const TOKEN = '123456:fault-test-token';
const SECRET = 'fault_test_secret';

let tg: FakeTelegram;
let adapter: TelegramAdapter;
beforeEach(async () => {
  tg = await startFakeTelegram({ token: TOKEN });
});
afterEach(async () => {
  await adapter?.stop();
  await tg.close();
});

const newAdapter = (apiRoot = tg.apiRoot, token = TOKEN) =>
  (adapter = new TelegramAdapter({ token, apiRoot, receive: { kind: 'webhook', url: 'http://127.0.0.1/telegram', port: 0, secret: SECRET }, logger: silentLogger }));

/** What `call` threw, as the adapter classifies it. */
async function faultOf(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
  return adapter.classifyError(error);
}

describe('TelegramAdapter.classifyError, against the real telegraf client', () => {
  it.each<[string, TelegramErrorAnswer, string]>([
    ['blocked by the user', { error_code: 403, description: 'Forbidden: bot was blocked by the user' }, 'unreachable'],
    ['a deactivated user', { error_code: 403, description: 'Forbidden: user is deactivated' }, 'unreachable'],
    ['kicked from the group', { error_code: 403, description: 'Forbidden: bot was kicked from the supergroup chat' }, 'unreachable'],
    ['an unknown chat', { error_code: 400, description: 'Bad Request: chat not found' }, 'unreachable'],
    ['bad entities', { error_code: 400, description: "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 12" }, 'content'],
    ['an over-long text', { error_code: 400, description: 'Bad Request: message is too long' }, 'content'],
    ['an empty text', { error_code: 400, description: 'Bad Request: text must be non-empty' }, 'content'],
    ['a wrong token', { error_code: 401, description: 'Unauthorized' }, 'permanent'],
  ])('sendMessage refused for %s', async (_, error, kind) => {
    tg.failCalls({ method: 'sendMessage', chatId: 42, error });
    expect(await faultOf(newAdapter().send({ chatId: '42' }, 'hello'))).toEqual({ kind, reason: error.description });
  });

  it('a cue for one chat leaves the others alone, and is used up after `times` calls', async () => {
    tg.failCalls({ method: 'sendMessage', chatId: 42, times: 2, error: { error_code: 403, description: 'Forbidden: bot was blocked by the user' } });
    const bot = newAdapter();
    await expect(bot.send({ chatId: '7' }, 'to someone else')).resolves.toBeTruthy();
    await expect(bot.send({ chatId: '42' }, 'one')).rejects.toThrow(/blocked/);
    await expect(bot.send({ chatId: '42' }, 'two')).rejects.toThrow(/blocked/);
    await expect(bot.send({ chatId: '42' }, 'three')).resolves.toBeTruthy();
    expect(tg.messagesInChat(42).map((m) => m.text)).toEqual(['three']);
  });

  it('429 is transient after retry_after; 5xx is transient', async () => {
    tg.failCalls({ method: 'sendMessage', error: { error_code: 429, description: 'Too Many Requests: retry after 7', retry_after: 7 } });
    tg.failCalls({ method: 'sendChatAction', error: { error_code: 502, description: 'Bad Gateway' } });
    const bot = newAdapter();
    expect(await faultOf(bot.send({ chatId: '42' }, 'hello'))).toEqual({ kind: 'transient', reason: 'Too Many Requests: retry after 7', retryAfterMs: 7000 });
    // telegraf reports a 5xx by its status line, whatever the body says.
    expect(await faultOf(bot.typing({ chatId: '42' }))).toEqual({ kind: 'transient', reason: 'Bad Gateway' });
  });

  it('an edit of a message that is gone or too old is edit_refused; an unchanged text is no failure at all', async () => {
    const bot = newAdapter();
    const id = await bot.send({ chatId: '42' }, 'first');
    expect(await faultOf(bot.edit({ chatId: '42' }, '999', 'edited'))).toEqual({ kind: 'edit_refused', reason: 'Bad Request: message to edit not found' });
    tg.failCalls({ method: 'editMessageText', error: { error_code: 400, description: "Bad Request: message can't be edited" } });
    expect(await faultOf(bot.edit({ chatId: '42' }, id, 'edited'))).toEqual({ kind: 'edit_refused', reason: "Bad Request: message can't be edited" });
    await expect(bot.edit({ chatId: '42' }, id, 'first')).resolves.toBeUndefined();
  });

  it('an unreachable Bot API is transient, and the reason never holds the token', async () => {
    const closed = await listenOnLoopback(() => {});
    await closed.close();
    const fault = await faultOf(newAdapter(closed.url).send({ chatId: '42' }, 'hello'));
    expect(fault).toEqual({ kind: 'transient', reason: 'network error: ECONNREFUSED' });
    expect(fault.reason).not.toContain('fault-test-token');
  });
});

describe('Telegram webhook: what an update that was not recorded is answered', () => {

  async function startWebhook(sink: InboundSink): Promise<string> {
    const bot = newAdapter();
    await bot.start(sink);
    return `http://127.0.0.1:${bot.port}/telegram`;
  }

  const storeAway = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('503 with Retry-After while the store is unreachable, 500 for any other failure, 200 once recorded', async () => {
    let failure: Error | undefined = storeAway();
    const { sink, received } = recordingInbox(async () => {
      if (failure) throw failure;
      return { duplicate: false };
    });
    const url = await startWebhook(sink);
    const update = tg.textUpdate({ chatId: 5, userId: 5, text: 'hi' });

    const away = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });
    expect(away.status).toBe(503);
    expect(away.headers.get('retry-after')).toBe('5');
    failure = new Error('a bug in recording');
    const broken = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });
    expect(broken.status).toBe(500);
    expect(broken.headers.get('retry-after')).toBeNull();
    failure = undefined;
    expect((await postWebhookUpdate(url, update, SECRET)).status).toBe(200);
    expect(received.map((m) => m.eventId)).toEqual([update.update_id, update.update_id, update.update_id].map(String));
  });

  it('refuses message updates no real Telegram sends (200, never received); a body that is no update stays 400', async () => {
    const { sink, received, refused } = recordingInbox();
    const url = await startWebhook(sink);
    const good = tg.textUpdate({ chatId: 5, userId: 5, text: 'hi' });
    const { chat: _chat, ...withoutChat } = good.message;
    const { from: _from, ...withoutSender } = good.message;
    const post = (body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body }).then((r) => r.status);

    expect(await post(JSON.stringify({ update_id: 1, message: withoutChat }))).toBe(200);
    expect(await post(JSON.stringify({ update_id: 2, message: withoutSender }))).toBe(200);
    // A chat id of 400 digits parses as Infinity: no chat has it.
    expect(await post(JSON.stringify({ update_id: 3, message: good.message }).replace(`"id":5,"type"`, `"id":${'9'.repeat(400)},"type"`))).toBe(200);
    expect(await post(JSON.stringify({ update_id: 1e20, message: good.message }))).toBe(200);
    expect(await post('{"update_id": 4, "message": ')).toBe(400);

    expect(received).toEqual([]);
    expect(refused).toEqual([
      { platform: 'telegram', botId: String(tg.botInfo.id), eventId: '1', reason: 'message without a chat, or its chat id is not an integer' },
      { platform: 'telegram', botId: String(tg.botInfo.id), eventId: '2', reason: 'message without a sender, or its sender id is not an integer' },
      { platform: 'telegram', botId: String(tg.botInfo.id), eventId: '3', reason: 'message without a chat, or its chat id is not an integer' },
      { platform: 'telegram', botId: String(tg.botInfo.id), reason: 'update_id is not an integer' },
    ]);
    // Updates the bot merely does not answer are neither received nor refused.
    expect(await post(JSON.stringify({ update_id: 5, edited_message: good.message }))).toBe(200);
    expect(refused).toHaveLength(4);
  });
});

describe('Telegram polling: a malformed update', () => {
  it('is refused in its turn, between the messages around it, and acknowledged', async () => {
    const refused: RefusedEvent[] = [];
    const order: string[] = [];
    adapter = new TelegramAdapter({ token: TOKEN, apiRoot: tg.apiRoot, receive: { kind: 'polling' }, logger: silentLogger });
    await adapter.start({
      receive: async (message) => {
        order.push(`received ${message.eventId}`);
        return { duplicate: false };
      },
      refuse: async (event) => {
        refused.push(event);
        order.push(`refused ${event.eventId}`);
      },
      undelivered: async () => {},
    });
    const before = tg.textUpdate({ chatId: 5, userId: 5, text: 'one' });
    const { from: _from, ...withoutSender } = tg.textUpdate({ chatId: 5, userId: 5, text: 'two' }).message;
    const after = tg.textUpdate({ chatId: 5, userId: 5, text: 'three' });
    tg.pushUpdate(before);
    tg.pushUpdate({ update_id: before.update_id + 1, message: withoutSender } as typeof before);
    tg.pushUpdate({ ...after, update_id: before.update_id + 2 });
    // Re-checked after every API call: the getUpdates that follows the batch acknowledges all three.
    await tg.waitFor(() => order.length === 3 && tg.pendingUpdates.length === 0);
    expect(order).toEqual([`received ${before.update_id}`, `refused ${before.update_id + 1}`, `received ${before.update_id + 2}`]);
    expect(refused).toEqual([{ platform: 'telegram', botId: String(tg.botInfo.id), eventId: String(before.update_id + 1), reason: 'message without a sender, or its sender id is not an integer' }]);
  });
});
