import { afterEach, describe, expect, it } from 'vitest';
import type { Update } from 'telegraf/types';
import { TelegramAdapter } from '../../adapters/telegram/telegram-adapter.js';
import { postWebhookUpdate, startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram-server.js';
import { payloadFixtures } from '../support/payload-fixtures.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { startAdapterWorld, type AdapterWorld } from '../runner/runner-world.js';

/*
 * Every kind of Telegram message, from real-shaped updates (test/fixtures/platform-payloads/telegram.json), through
 * real telegraf and the fake Bot API into the runner: what each kind is answered with, and that nothing is met
 * with silence or a model call it cannot use.
 */

const TOKEN = '123456:kinds-token';
const SECRET = 'kinds-secret';
const BOT_ID = 7_000_000_001;
const UNSUPPORTED = (what: string) => `Sorry, I can't open ${what} yet. Please send text (a caption on a photo or file works too).`;
/** Media the bot could fetch, but this bot (no vision, no transcription) cannot use. */
const NO_VISION = 'Sorry, this model cannot see images. Please describe the picture in text (or add a caption).';
const NO_TRANSCRIPTION = (what: string) => `Sorry, I can't listen to ${what}: no transcription is set up for this bot. Please send text.`;
const UNKNOWN = "Sorry, I can't read this kind of message yet. Please send text (a caption on a photo or file works too).";

let tg: FakeTelegram | undefined;
let world: AdapterWorld<TelegramAdapter> | undefined;
afterEach(async () => {
  await world?.close();
  await tg?.close();
  world = tg = undefined;
});

const fixtures = () => payloadFixtures<Update>('telegram');
const textsIn = (fake: FakeTelegram, chatId: number) => fake.messagesInChat(chatId).map((m) => m.text);

async function webhookWorld(): Promise<{ fake: FakeTelegram; world: AdapterWorld<TelegramAdapter>; post: (update: Update) => Promise<number> }> {
  tg = await startFakeTelegram({ token: TOKEN, botId: BOT_ID, username: 'threadline_test_bot' });
  const fake = tg;
  world = await startAdapterWorld(
    (logger) => new TelegramAdapter({ token: TOKEN, apiRoot: fake.apiRoot, logger, receive: { kind: 'webhook', url: 'http://127.0.0.1/tg', port: 0, secret: SECRET, host: '127.0.0.1' } }),
  );
  const url = `http://127.0.0.1:${world.adapter.port}/tg`;
  return { fake, world, post: async (update) => (await postWebhookUpdate(url, update, SECRET)).status };
}

describe('Telegram message kinds (real telegraf, fake Bot API, the runner)', () => {
  it('media without a caption get one plain reply and no model call; stickers, dice, polls, places, contacts and captions are answered', async () => {
    const { fake, world, post } = await webhookWorld();
    const f = fixtures();
    // The PDF the document message names, as Telegram would serve it.
    const pdf = tinyPdf(['Quarterly report']);
    fake.addFile(pdf, { fileId: 'BQACAgIAAxkBAAIBZWZsOnw', filePath: 'documents/file_7.pdf' });
    const cases = ['audio', 'voice', 'document', 'sticker', 'photo', 'photoWithCaption', 'dice', 'poll', 'location', 'contact', 'video', 'story'];
    for (const name of cases) expect(await post(f[name]), name).toBe(200);
    await world.settled();

    const answers = Object.fromEntries(cases.map((name) => [name, textsIn(fake, (f[name] as Update.MessageUpdate).message.chat.id)]));
    expect(answers).toEqual({
      audio: [NO_TRANSCRIPTION('audio files')],
      voice: [NO_TRANSCRIPTION('voice messages')],
      document: [`re: [document "report.pdf" application/pdf ${pdf.length} bytes]\nQuarterly report`],
      sticker: ['re: [sticker 😀]'],
      photo: [NO_VISION],
      photoWithCaption: ['re: [The user attached an image, which you cannot see.]\nWhat breed is this dog?'],
      dice: ['re: [dice 🎲 4]'],
      poll: ['re: [poll "Lunch?": pizza / sushi]'],
      location: ['re: [location 52.52001, 13.40495]'],
      contact: ['re: [contact Max Mustermann +4915112345678]'],
      video: [UNSUPPORTED('videos')],
      story: [UNKNOWN],
    });
    // The model was asked only about what it can use.
    expect(world.model.calls.sort()).toEqual(
      [
        '[sticker 😀]',
        `[document "report.pdf" application/pdf ${pdf.length} bytes]\nQuarterly report`,
        '[The user attached an image, which you cannot see.]\nWhat breed is this dog?',
        '[dice 🎲 4]',
        '[poll "Lunch?": pizza / sushi]',
        '[location 52.52001, 13.40495]',
        '[contact Max Mustermann +4915112345678]',
      ].sort(),
    );

    // Telegram sends the voice message again (our 200 was lost): recognised, the user is not told twice.
    expect(await post(fixtures().voice)).toBe(200);
    await world.settled();
    expect(textsIn(fake, 1102)).toEqual([NO_TRANSCRIPTION('voice messages')]);

    // The refusal is in the ledger with its kind, and what a later media download needs is kept with it.
    const voice = await world.store.inboxTimeline(`telegram:${BOT_ID}:800102`);
    expect(voice?.entry).toMatchObject({ status: 'refused', lastError: 'unsupported content: voice', redeliveries: 1 });
    expect((voice?.entry.payload as { attachments: unknown }).attachments).toEqual([
      { kind: 'voice', platformFileId: 'AwACAgIAAxkBAAIBZGZsOnq', mimeType: 'audio/ogg', size: 11254, durationSeconds: 3 },
    ]);
    const photo = await world.store.inboxTimeline(`telegram:${BOT_ID}:800105`);
    expect((photo?.entry.payload as { attachments: unknown }).attachments).toEqual([
      { kind: 'image', mimeType: 'image/jpeg', platformFileId: 'AgACAgIAAxkBAAIBZ2Zsu3', size: 71230, width: 800, height: 600 },
    ]);
    const refusals = world.logs.filter((l) => l.msg === 'message refused');
    expect(refusals.map((l) => [l.level, l.content]).sort()).toEqual(
      [[30, 'audio'], [30, 'voice'], [30, 'image'], [30, 'video'], [30, 'story']].sort(),
    );
  });

  it('a tap on an inline keyboard button is the button\'s title, and the query is answered so the spinner stops', async () => {
    const { fake, world, post } = await webhookWorld();
    expect(await post(fixtures().callbackQuery)).toBe(200);
    // An inline-mode message's button has no chat to answer in: answered, nothing else.
    expect(await post(fixtures().inlineCallbackQuery)).toBe(200);
    await world.settled();
    expect(textsIn(fake, 1113)).toEqual(['re: Yes, please']);
    await fake.waitFor((t) => t.callbackAnswers.length === 2);
    expect(fake.callbackAnswers.map((a) => a.callback_query_id).sort()).toEqual(['4382bfdwdsb323b2d9', '4382bfdwdsb323b2e0']);
    expect(world.model.calls).toEqual(['Yes, please']);
  });

  it('in a mention_only group: a voice reply to the bot is told once; a photo, a join and another bot\'s /report are not for it; its own commands are', async () => {
    const { fake, world, post } = await webhookWorld();
    const group = -1001500000001;
    const moderated = -1001500000003;
    for (const name of ['voiceReplyInGroup', 'photoInGroup', 'memberJoined', 'commandForAnotherBot']) expect(await post(fixtures()[name]), name).toBe(200);
    const command = (chatId: number, text: string) => post(fake.textUpdate({ chatId, userId: 1130, text, chatType: 'supergroup' }));
    expect(await command(moderated, '/status@other_mod_bot')).toBe(200);
    expect(await command(moderated, '/weather')).toBe(200);
    expect(await command(moderated, '/help')).toBe(200);
    expect(await command(moderated, '/new@threadline_test_bot')).toBe(200);
    await world.settled();

    expect(textsIn(fake, group)).toEqual([NO_TRANSCRIPTION('voice messages')]);
    expect(textsIn(fake, moderated)).toEqual([expect.stringMatching(/^\/start - greeting\n/), expect.stringMatching(/^Started a new conversation\./)]);
    expect(world.model.calls).toEqual([]);
  });

  it('under respond_all (polling): an anonymous group admin is answered; a photo shared in the group and /report@otherbot are not', async () => {
    tg = await startFakeTelegram({ token: TOKEN, botId: BOT_ID, username: 'threadline_test_bot' });
    const fake = tg;
    world = await startAdapterWorld((logger) => new TelegramAdapter({ token: TOKEN, apiRoot: fake.apiRoot, logger, receive: { kind: 'polling' } }), {
      access: { groupPolicy: 'respond_all' },
    });
    const admins = -1001500000002;
    fake.pushUpdate(fixtures().anonymousAdmin);
    fake.pushUpdate(fixtures().photoInGroup);
    fake.pushUpdate(fake.textUpdate({ chatId: admins, userId: 1131, text: '/ban@other_mod_bot 1121', chatType: 'supergroup' }));
    fake.pushUpdate(fixtures().callbackQuery);
    await fake.waitFor((t) => t.messagesInChat(1113).length === 1 && t.messagesInChat(admins).length === 1 && t.callbackAnswers.length === 1, 10_000);
    await world.settled();

    expect(textsIn(fake, admins)).toEqual(['re: Owner: Reminder: the meeting moved to 3 pm']);
    expect(textsIn(fake, -1001500000001)).toEqual([]);
    expect(world.model.calls.sort()).toEqual(['Owner: Reminder: the meeting moved to 3 pm', 'Yes, please']);
    // The admin speaks for the group: named by their custom title, the group's id as the sender.
    const history = await world.store.fullHistory(`telegram:${BOT_ID}:${admins}`);
    expect(history[0]).toMatchObject({ role: 'user', name: 'Owner', content: 'Reminder: the meeting moved to 3 pm' });
  });
});
