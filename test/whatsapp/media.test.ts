import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import type { BotRunnerOptions } from '../../src/runner/bot-runner.js';
import type { HistoryStore } from '../../src/store/types.js';
import type { FakeOpenAI } from '../fakes/fake-openai-server.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { startAdapterWorld, startOpenAIAdapterWorld } from '../runner/runner-world.js';
import { WA } from './whatsapp-harness.js';

/*
 * Media through the adapter's webhook and the fake Graph API: the worker looks the media id up (`GET /<media id>`),
 * downloads the URL it names (both with the access token), stores the bytes by SHA-256 before the model is asked,
 * and a vision model gets them as image parts through the real OpenAI client.
 */

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let counter = 0;
/** A signed-ready notification: one media message of `type` from `from`. */
function mediaNotification(from: string, type: 'image' | 'audio' | 'document', media: Record<string, unknown>) {
  const message = { from, id: `wamid.media${++counter}`, timestamp: String(Math.floor(Date.now() / 1000)), type, [type]: media };
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: '100000000000001',
      changes: [{
        field: 'messages',
        value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: WA.phoneNumberId }, contacts: [{ profile: { name: 'Jane' }, wa_id: from }], messages: [message] },
      }],
    }],
  };
}

async function fakeWhatsApp(): Promise<FakeWhatsApp> {
  const wa = await startFakeWhatsApp(WA);
  cleanups.push(() => wa.close());
  return wa;
}

interface OpenAIWorld {
  wa: FakeWhatsApp;
  llm: FakeOpenAI;
  store: HistoryStore;
  post(body: object): Promise<number>;
  settled(): Promise<void>;
}

async function openAIWorld(media: BotRunnerOptions['media'], transcriptionModel?: string): Promise<OpenAIWorld> {
  const wa = await fakeWhatsApp();
  const world = await startOpenAIAdapterWorld((logger) => new WhatsAppAdapter({ ...WA, apiUrl: wa.graphUrl, port: 0, host: '127.0.0.1', logger }), { media, transcriptionModel });
  cleanups.push(() => world.close());
  return {
    wa,
    llm: world.llm,
    store: world.store,
    post: async (body) => (await wa.postSigned(`http://127.0.0.1:${world.adapter.port}/whatsapp`, JSON.stringify(body))).status,
    settled: () => world.settled(),
  };
}

describe('WhatsApp media (the adapter\'s webhook, the fake Graph API with media lookups and downloads)', () => {
  it('a vision model gets an image with its caption as an image part; the bytes are stored by SHA-256', async () => {
    const { wa, llm, store, post, settled } = await openAIWorld({ vision: true });
    const id = wa.addMedia(PNG, { mimeType: 'image/png' });
    expect(await post(mediaNotification('4915100000101', 'image', { id, mime_type: 'image/png', sha256: 'x', caption: 'What colour is this?' }))).toBe(200);
    await settled();

    const described = `[image image/png ${PNG.length} bytes]`;
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].messages.findLast((m) => m.role === 'user')?.content).toEqual([
      { type: 'text', text: `${described}\nWhat colour is this?` },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    expect(wa.sentTo('4915100000101').map((m) => m.text)).toEqual([expect.stringContaining('reply to:')]);
    const [user] = await store.fullHistory(`whatsapp:${WA.phoneNumberId}:4915100000101`);
    expect(user).toMatchObject({ role: 'user', content: `${described}\nWhat colour is this?`, metadata: { media: [{ kind: 'image', hash: sha256(PNG), mimeType: 'image/png', size: PNG.length }] } });
    expect((await store.getMedia(sha256(PNG)))!.bytes.equals(PNG)).toBe(true);
    expect(wa.mediaLookups).toEqual([id]);
    expect(wa.mediaDownloads).toEqual([id]);
  });

  it('a voice note is transcribed and the transcript is the turn\'s text', async () => {
    const { wa, llm, store, post, settled } = await openAIWorld({}, 'whisper-1');
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60, 7)]);
    llm.setTranscriptionHandler(() => ({ text: ' Remind me to buy milk. ' }));
    const id = wa.addMedia(ogg, { mimeType: 'audio/ogg' });
    expect(await post(mediaNotification('4915100000102', 'audio', { id, mime_type: 'audio/ogg; codecs=opus', sha256: 'x', voice: true }))).toBe(200);
    await settled();

    expect(llm.transcriptions).toEqual([{ model: 'whisper-1', fileName: 'voice.ogg', size: ogg.length }]);
    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual(['Remind me to buy milk.']);
    const [user] = await store.fullHistory(`whatsapp:${WA.phoneNumberId}:4915100000102`);
    expect(user).toMatchObject({ content: 'Remind me to buy milk.', metadata: { transcript: true, media: [{ kind: 'voice', hash: sha256(ogg), transcript: true }] } });
  });

  it('a PDF document is read and its text inlined before the caption; over the size limit the sender is told, nothing downloaded', async () => {
    const { wa, llm, post, settled } = await openAIWorld({ maxBytes: 2000 });
    const pdf = tinyPdf(['Page one text']);
    const id = wa.addMedia(pdf, { mimeType: 'application/pdf' });
    expect(await post(mediaNotification('4915100000103', 'document', { id, filename: 'one.pdf', mime_type: 'application/pdf', sha256: 'x', caption: 'Summarise' }))).toBe(200);
    // WhatsApp gives no size in the webhook: the lookup's file_size refuses it before the download.
    const big = wa.addMedia(Buffer.alloc(3000, 65), { mimeType: 'text/plain' });
    expect(await post(mediaNotification('4915100000104', 'document', { id: big, filename: 'big.txt', mime_type: 'text/plain', sha256: 'x' }))).toBe(200);
    await settled();

    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual([`[document "one.pdf" application/pdf ${pdf.length} bytes]\nPage one text\nSummarise`]);
    expect(wa.sentTo('4915100000104').map((m) => m.text)).toEqual(['Sorry, that file is too large (2.9 KB): I can take files up to 2 KB.']);
    expect(wa.mediaLookups).toEqual([id, big]);
    expect(wa.mediaDownloads).toEqual([id]);
  });

  it('a second attempt (the first failed after the download) reads the stored bytes: no second lookup or download', async () => {
    const wa = await fakeWhatsApp();
    const world = await startAdapterWorld((logger) => new WhatsAppAdapter({ ...WA, apiUrl: wa.graphUrl, port: 0, host: '127.0.0.1', logger }), { media: { vision: true } });
    cleanups.push(() => world.close());
    world.model.steps.push({ error: new Error('worker died mid-turn') as never });
    const id = wa.addMedia(PNG, { mimeType: 'image/jpeg' });
    const url = `http://127.0.0.1:${world.adapter.port}/whatsapp`;
    expect((await wa.postSigned(url, JSON.stringify(mediaNotification('4915100000105', 'image', { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'again?' })))).status).toBe(200);
    await world.settled();

    expect(wa.sentTo('4915100000105').map((m) => m.text)).toEqual([`re: [image image/jpeg ${PNG.length} bytes]\nagain?`]);
    expect(world.model.calls).toHaveLength(2);
    expect(wa.mediaDownloads).toEqual([id]);
    const entry = (await world.store.listInbox({ limit: 1 }))[0];
    expect(entry).toMatchObject({ status: 'done', attempts: 2 });
    expect(await world.store.inboxMedia(entry.id)).toEqual([{ position: 0, hash: sha256(PNG) }]);
  });
});
