import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Update } from 'telegraf/types';
import { TelegramAdapter } from '../../adapters/telegram/telegram-adapter.js';
import type { BotRunnerOptions } from '../../src/runner/bot-runner.js';
import type { HistoryStore } from '../../src/store/types.js';
import type { FakeOpenAI } from '../fakes/fake-openai-server.js';
import { postWebhookUpdate, startFakeTelegram, type FakeTelegram, type FakeTelegramFile } from '../fakes/fake-telegram-server.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { startAdapterWorld, startOpenAIAdapterWorld, type AdapterWorld } from '../runner/runner-world.js';

/*
 * Media through real telegraf and the fake Bot API: the worker downloads (getFile + the file URL), stores the bytes by
 * SHA-256 before the model is asked, and a vision model gets them as image parts through the real OpenAI client.
 */

const TOKEN = '123456:media-token';
const SECRET = 'media-secret';
const BOT_ID = 7_000_000_001;

/** A tiny real PNG (1×1, red). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeTelegram(): Promise<FakeTelegram> {
  const tg = await startFakeTelegram({ token: TOKEN, botId: BOT_ID, username: 'threadline_test_bot' });
  cleanups.push(() => tg.close());
  return tg;
}

const webhookAdapter = (tg: FakeTelegram, logger: Parameters<Parameters<typeof startAdapterWorld>[0]>[0]) =>
  new TelegramAdapter({ token: TOKEN, apiRoot: tg.apiRoot, logger, receive: { kind: 'webhook', url: 'http://127.0.0.1/tg', port: 0, secret: SECRET, host: '127.0.0.1' } });

/** A private photo message from `chatId`, its largest size the file given (and `caption`, when given). */
function photoUpdate(tg: FakeTelegram, chatId: number, file: FakeTelegramFile, caption?: string, declaredSize: number | null = file.file_size): Update {
  const base = tg.textUpdate({ chatId, userId: chatId, text: 'x' });
  const { text: _text, entities: _entities, ...message } = base.message as unknown as Record<string, unknown>;
  const photo = [
    { file_id: `${file.file_id}-thumb`, file_unique_id: 'thumb', file_size: 10, width: 9, height: 9 },
    { file_id: file.file_id, file_unique_id: file.file_unique_id, ...(declaredSize !== null ? { file_size: declaredSize } : {}), width: 800, height: 600 },
  ];
  return { update_id: base.update_id, message: { ...message, photo, ...(caption !== undefined ? { caption } : {}) } } as unknown as Update;
}

/** A private voice message from `chatId` (Telegram's `voice`: OGG/Opus, no caption). */
function voiceUpdate(tg: FakeTelegram, chatId: number, file: FakeTelegramFile): Update {
  const base = tg.textUpdate({ chatId, userId: chatId, text: 'x' });
  const { text: _text, entities: _entities, ...message } = base.message as unknown as Record<string, unknown>;
  const voice = { file_id: file.file_id, file_unique_id: file.file_unique_id, duration: 2, mime_type: 'audio/ogg', file_size: file.file_size };
  return { update_id: base.update_id, message: { ...message, voice } } as unknown as Update;
}

/** A private document message from `chatId`. */
function documentUpdate(tg: FakeTelegram, chatId: number, file: FakeTelegramFile, fileName: string, mimeType: string, caption?: string): Update {
  const base = tg.textUpdate({ chatId, userId: chatId, text: 'x' });
  const { text: _text, entities: _entities, ...message } = base.message as unknown as Record<string, unknown>;
  const document = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_name: fileName, mime_type: mimeType, file_size: file.file_size };
  return { update_id: base.update_id, message: { ...message, document, ...(caption !== undefined ? { caption } : {}) } } as unknown as Update;
}

interface OpenAIWorld {
  tg: FakeTelegram;
  llm: FakeOpenAI;
  store: HistoryStore;
  post(update: Update): Promise<number>;
  settled(): Promise<void>;
}

/** The real OpenAI client against the fake endpoint, the runner, a Telegram webhook adapter, a SQLite store. */
async function openAIWorld(media: BotRunnerOptions['media'], transcriptionModel?: string): Promise<OpenAIWorld> {
  const tg = await fakeTelegram();
  const world = await startOpenAIAdapterWorld((logger) => webhookAdapter(tg, logger), { media, transcriptionModel });
  cleanups.push(() => world.close());
  return {
    tg,
    llm: world.llm,
    store: world.store,
    post: async (update) => (await postWebhookUpdate(`http://127.0.0.1:${world.adapter.port}/tg`, update, SECRET)).status,
    settled: () => world.settled(),
  };
}

describe('Telegram media (real telegraf, fake Bot API with getFile and file downloads)', () => {
  it('a vision model gets the photo as an image part (data: URL of the stored bytes), with and without a caption', async () => {
    const { tg, llm, store, post, settled } = await openAIWorld({ vision: true });
    const file = tg.addFile(PNG, { filePath: 'photos/file_1.png' });
    expect(await post(photoUpdate(tg, 501, file, 'What colour is this?'))).toBe(200);
    expect(await post(photoUpdate(tg, 502, file))).toBe(200);
    await settled();

    const described = `[image image/png ${PNG.length} bytes]`;
    const lastUser = (chatText: string) => llm.requests.map((r) => r.messages.findLast((m) => m.role === 'user')!).find((m) => JSON.stringify(m.content).includes(chatText));
    expect(lastUser('What colour')?.content).toEqual([
      { type: 'text', text: `${described}\nWhat colour is this?` },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    expect(llm.requests).toHaveLength(2);
    expect(tg.messagesInChat(501).map((m) => m.text)).toEqual([expect.stringContaining('reply to:')]);
    expect(tg.messagesInChat(502).map((m) => m.text)).toEqual([expect.stringContaining('reply to:')]);

    // Stored once by content (both messages sent the same file), referenced from the committed user message.
    const [user] = await store.fullHistory(`telegram:${BOT_ID}:501`);
    expect(user).toMatchObject({ role: 'user', content: `${described}\nWhat colour is this?`, metadata: { media: [{ kind: 'image', hash: sha256(PNG), mimeType: 'image/png', size: PNG.length }] } });
    expect((await store.getMedia(sha256(PNG)))!.bytes.equals(PNG)).toBe(true);
    // The largest size was fetched, once per message; the thumbnail never.
    expect(tg.calls.filter((c) => c.method === 'getFile').map((c) => c.params.file_id)).toEqual([file.file_id, file.file_id]);
    expect(tg.downloads).toEqual(['photos/file_1.png', 'photos/file_1.png']);
  });

  it('without vision: a photo alone is answered that the model cannot see images, a captioned one by its caption; nothing is downloaded', async () => {
    const { tg, llm, post, settled } = await openAIWorld({ vision: false });
    const file = tg.addFile(PNG);
    expect(await post(photoUpdate(tg, 511, file))).toBe(200);
    expect(await post(photoUpdate(tg, 512, file, 'Nice?'))).toBe(200);
    await settled();
    expect(tg.messagesInChat(511).map((m) => m.text)).toEqual(['Sorry, this model cannot see images. Please describe the picture in text (or add a caption).']);
    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual(['[The user attached an image, which you cannot see.]\nNice?']);
    expect(tg.downloads).toEqual([]);
  });

  it('over the size limit: refused with a reply naming the limit, at intake when Telegram gives the size, else when the download passes it', async () => {
    const { tg, llm, store, post, settled } = await openAIWorld({ vision: true, maxBytes: 50 });
    const file = tg.addFile(PNG);
    expect(await post(photoUpdate(tg, 521, file))).toBe(200);
    // No size in the update: only the download finds out (getFile's file_size says so first).
    expect(await post(photoUpdate(tg, 522, file, undefined, null))).toBe(200);
    await settled();
    const tooLarge = `Sorry, that file is too large (${PNG.length} bytes): I can take files up to 50 bytes.`;
    expect(tg.messagesInChat(521).map((m) => m.text)).toEqual([tooLarge]);
    expect(tg.messagesInChat(522).map((m) => m.text)).toEqual([tooLarge]);
    expect(llm.requests).toHaveLength(0);
    expect(tg.downloads).toEqual([]);
    // Refused at intake; given up on by the worker (no model call, the sender told why).
    expect((await store.listInbox()).map((e) => e.status).sort()).toEqual(['dead', 'refused']);
  });

  it('a second attempt (the first failed after the download) reads the stored bytes: no second download', async () => {
    const tg = await fakeTelegram();
    const world: AdapterWorld<TelegramAdapter> = await startAdapterWorld((logger) => webhookAdapter(tg, logger), { media: { vision: true } });
    cleanups.push(() => world.close());
    // The first model call fails as a crash would: not an LLM error, so the attempt is deferred and tried again.
    world.model.steps.push({ error: new Error('worker died mid-turn') as never });
    const file = tg.addFile(PNG, { filePath: 'photos/file_9.jpg' });
    const url = `http://127.0.0.1:${world.adapter.port}/tg`;
    expect((await postWebhookUpdate(url, photoUpdate(tg, 531, file, 'again?'), SECRET)).status).toBe(200);
    await world.settled();

    expect(tg.messagesInChat(531).map((m) => m.text)).toEqual([`re: [image image/jpeg ${PNG.length} bytes]\nagain?`]);
    expect(world.model.calls).toHaveLength(2);
    expect(tg.downloads).toEqual(['photos/file_9.jpg']);
    const entry = (await world.store.listInbox({ limit: 1 }))[0];
    expect(entry).toMatchObject({ status: 'done', attempts: 2 });
    expect(await world.store.inboxMedia(entry.id)).toEqual([{ position: 0, hash: sha256(PNG) }]);
    expect(world.logs.filter((l) => l.msg === 'media read from the store (stored by an earlier attempt)')).toHaveLength(1);
  });

  it('a voice message is transcribed (/audio/transcriptions) and the transcript is the turn\'s text, marked as one', async () => {
    const { tg, llm, store, post, settled } = await openAIWorld({}, 'whisper-1');
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60, 7)]);
    const file = tg.addFile(ogg, { filePath: 'voice/file_3.oga' });
    llm.setTranscriptionHandler(() => ({ text: ' Remind me to buy milk. ' }));
    expect(await post(voiceUpdate(tg, 541, file))).toBe(200);
    // A transcription that finds no words: the sender is told, the model not asked.
    const silent = tg.addFile(Buffer.from('OggS-silence'), { filePath: 'voice/file_4.oga' });
    await settled();
    llm.setTranscriptionHandler(() => ({ text: '' }));
    expect(await post(voiceUpdate(tg, 542, silent))).toBe(200);
    await settled();

    expect(llm.transcriptions).toEqual([
      { model: 'whisper-1', fileName: 'voice.ogg', size: ogg.length },
      { model: 'whisper-1', fileName: 'voice.ogg', size: 12 },
    ]);
    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual(['Remind me to buy milk.']);
    expect(tg.messagesInChat(541).map((m) => m.text)).toEqual(['reply to: Remind me to buy milk. (saw 2 messages)']);
    const [user] = await store.fullHistory(`telegram:${BOT_ID}:541`);
    expect(user).toMatchObject({
      content: 'Remind me to buy milk.',
      metadata: { transcript: true, media: [{ kind: 'voice', hash: sha256(ogg), mimeType: 'audio/ogg', size: ogg.length, transcript: true }] },
    });
    expect(tg.messagesInChat(542).map((m) => m.text)).toEqual(['Sorry, I could not make out any words in that voice message. Please try again or send text.']);
  });

  it('documents: a text file is inlined (cut at the limit), a PDF read through pdfjs up to the page limit, other types get a reply naming them', async () => {
    const { tg, llm, store, post, settled } = await openAIWorld({ maxDocumentChars: 40, maxPdfPages: 2 });
    const notes = Buffer.from('# Shopping\n- milk\n- bread\n');
    const long = Buffer.from('x'.repeat(100));
    const pdf = tinyPdf(['Page one text', 'Page two text', 'Page three text']);
    const zip = Buffer.from('PK\u0003\u0004 not really a zip');
    expect(await post(documentUpdate(tg, 551, tg.addFile(notes, { filePath: 'documents/file_1.md' }), 'notes.md', 'text/markdown', 'Sort this list'))).toBe(200);
    expect(await post(documentUpdate(tg, 552, tg.addFile(long, { filePath: 'documents/file_2.txt' }), 'long.txt', 'text/plain'))).toBe(200);
    expect(await post(documentUpdate(tg, 553, tg.addFile(pdf, { filePath: 'documents/file_3.pdf' }), 'three.pdf', 'application/pdf'))).toBe(200);
    expect(await post(documentUpdate(tg, 554, tg.addFile(zip, { filePath: 'documents/file_4.zip' }), 'archive.zip', 'application/zip'))).toBe(200);
    await settled();

    const asked = (chat: string) => llm.requests.map((r) => String(r.messages.at(-1)!.content)).find((c) => c.includes(chat));
    expect(asked('notes.md')).toBe(`[document "notes.md" text/markdown ${notes.length} bytes]\n# Shopping\n- milk\n- bread\n\nSort this list`);
    expect(asked('long.txt')).toBe(`[document "long.txt" text/plain 100 bytes]\n${'x'.repeat(40)}\n[cut at 40 of 100 characters]`);
    expect(asked('three.pdf')).toBe(`[document "three.pdf" application/pdf ${pdf.length} bytes]\nPage one text\n\nPage two text\n[only the first 2 of 3 pages were read]`);
    expect(llm.requests).toHaveLength(3);
    expect(tg.messagesInChat(554).map((m) => m.text)).toEqual(["Sorry, I can't read .zip files. I can read text files (txt, md, csv, json, source code) and PDFs."]);
    // The zip was never downloaded; the others are stored.
    expect(tg.downloads).toEqual(['documents/file_1.md', 'documents/file_2.txt', 'documents/file_3.pdf']);
    expect((await store.getMedia(sha256(pdf)))?.mimeType).toBe('application/pdf');
  });
});
