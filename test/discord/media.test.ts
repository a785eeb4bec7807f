import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import type { BotRunnerOptions } from '../../src/runner/bot-runner.js';
import type { HistoryStore } from '../../src/store/types.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord-server.js';
import type { FakeOpenAI } from '../fakes/fake-openai-server.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { startAdapterWorld, startOpenAIAdapterWorld } from '../runner/runner-world.js';
import { guild, guildOnShard } from './discord-bot-harness.js';

/*
 * Media through real discord.js and the fake gateway: the worker downloads an attachment's signed CDN `url` (no
 * authorization: the bot token is never sent), stores the bytes by SHA-256 before the model is asked, and a vision
 * model gets them as image parts through the real OpenAI client.
 */

const TOKEN = 'discord-media-token';
const GENERAL = '300000000000000001';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Discord's IS_VOICE_MESSAGE message flag. */
const IS_VOICE_MESSAGE = 1 << 13;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeDiscord(): Promise<FakeDiscord> {
  const discord = await startFakeDiscord({ token: TOKEN, guilds: [guild(guildOnShard(0, 1), [GENERAL])] });
  cleanups.push(() => discord.close());
  return discord;
}

let counter = 0;
/** A DM MESSAGE_CREATE from Jane in `channelId` carrying `attachments`, as Discord sends it. */
function dmWith(channelId: string, attachments: Array<Record<string, unknown>>, content = '', flags = 0) {
  return {
    type: 0, tts: false, timestamp: new Date().toISOString(), pinned: false, mentions: [], mention_roles: [], mention_everyone: false,
    id: String(1_260_000_000_000_000_000n + BigInt(++counter)), flags, embeds: [], edited_timestamp: null, content, components: [],
    channel_type: 1, channel_id: channelId,
    author: { username: 'jane', public_flags: 0, id: '800000000000000011', global_name: 'Jane', discriminator: '0', avatar: null },
    attachments,
  };
}

const newAdapter = (discord: FakeDiscord, logger: Parameters<Parameters<typeof startAdapterWorld>[0]>[0], store: HistoryStore) =>
  new DiscordAdapter({ token: TOKEN, apiUrl: discord.apiUrl, shardCount: 1, leases: store, logger, onFatal: () => {} });

const textsIn = (fake: FakeDiscord, channelId: string) => fake.messages.filter((m) => m.channelId === channelId).map((m) => m.content);

interface OpenAIWorld {
  discord: FakeDiscord;
  llm: FakeOpenAI;
  store: HistoryStore;
  /** Waits for `entries` inbox entries in all (the gateway's dispatch arrives asynchronously), then for none pending. */
  settled(entries: number): Promise<void>;
}

async function openAIWorld(media: BotRunnerOptions['media'], transcriptionModel?: string): Promise<OpenAIWorld> {
  const discord = await fakeDiscord();
  const world = await startOpenAIAdapterWorld((logger, store) => newAdapter(discord, logger, store), { media, transcriptionModel, runner: { stream: false } });
  cleanups.push(() => world.close());
  return {
    discord,
    llm: world.llm,
    store: world.store,
    settled: (entries) => world.settled(entries),
  };
}

describe('Discord media (real discord.js, fake gateway and CDN)', () => {
  it('a vision model gets an image with its text as an image part; the CDN URL is fetched without the bot token', async () => {
    const { discord, llm, store, settled } = await openAIWorld({ vision: true });
    const file = discord.addAttachment(PNG, { channelId: '400000000000000201', filename: 'red.png', contentType: 'image/png' });
    discord.dispatchMessage(dmWith('400000000000000201', [{ ...file, width: 1, height: 1 }], 'What colour is this?'));
    await settled(1);

    const described = `[image "red.png" image/png ${PNG.length} bytes]`;
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].messages.findLast((m) => m.role === 'user')?.content).toEqual([
      { type: 'text', text: `${described}\nWhat colour is this?` },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    expect(textsIn(discord, '400000000000000201')).toEqual([expect.stringContaining('reply to:')]);
    expect((await store.getMedia(sha256(PNG)))!.bytes.equals(PNG)).toBe(true);
    expect(discord.cdnDownloads).toEqual([{ path: `/attachments/400000000000000201/${file.id}/red.png`, authorization: false }]);
  });

  it('a voice message is transcribed; a PDF is read; over the size limit (Discord gives the size) refused at intake', async () => {
    const { discord, llm, settled } = await openAIWorld({ maxBytes: 1500 }, 'whisper-1');
    llm.setTranscriptionHandler(() => ({ text: 'Remind me to buy milk.' }));
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60, 7)]);
    const voice = discord.addAttachment(ogg, { channelId: '400000000000000202', filename: 'voice-message.ogg', contentType: 'audio/ogg', duration: 2.5 });
    discord.dispatchMessage(dmWith('400000000000000202', [voice], '', IS_VOICE_MESSAGE));
    await settled(1);
    const pdf = tinyPdf(['Page one text']);
    discord.dispatchMessage(dmWith('400000000000000203', [discord.addAttachment(pdf, { channelId: '400000000000000203', filename: 'one.pdf', contentType: 'application/pdf' })], 'Summarise'));
    discord.dispatchMessage(dmWith('400000000000000204', [discord.addAttachment(Buffer.alloc(10), { channelId: '400000000000000204', filename: 'big.txt', contentType: 'text/plain', declaredSize: 4000 })]));
    await settled(3);

    expect(llm.transcriptions).toEqual([{ model: 'whisper-1', fileName: expect.any(String), size: ogg.length }]);
    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual(['Remind me to buy milk.', `[document "one.pdf" application/pdf ${pdf.length} bytes]\nPage one text\nSummarise`]);
    expect(textsIn(discord, '400000000000000204')).toEqual(['Sorry, that file is too large (3.9 KB): I can take files up to 1.5 KB.']);
    expect(discord.cdnDownloads.map((d) => d.path.split('/').at(-1))).toEqual(['voice-message.ogg', 'one.pdf']);
  });

  it('a second attempt (the first failed after the download) reads the stored bytes: no second download', async () => {
    const discord = await fakeDiscord();
    const world = await startAdapterWorld((logger, store) => newAdapter(discord, logger, store), { media: { vision: true }, stream: false });
    cleanups.push(() => world.close());
    world.model.steps.push({ error: new Error('worker died mid-turn') as never });
    const file = discord.addAttachment(PNG, { channelId: '400000000000000205', filename: 'photo.jpg', contentType: 'image/jpeg' });
    const message = dmWith('400000000000000205', [file], 'again?');
    discord.dispatchMessage(message);
    for (let i = 0; !(await world.store.inboxTimeline(message.id)) && i < 200; i++) await new Promise((r) => setTimeout(r, 20));
    await world.settled();

    expect(textsIn(discord, '400000000000000205')).toEqual([`re: [image "photo.jpg" image/jpeg ${PNG.length} bytes]\nagain?`]);
    expect(world.model.calls).toHaveLength(2);
    expect(discord.cdnDownloads).toHaveLength(1);
    const entry = (await world.store.inboxTimeline(message.id))!.entry;
    expect(entry).toMatchObject({ status: 'done', attempts: 2 });
    expect(await world.store.inboxMedia(entry.id)).toEqual([{ position: 0, hash: sha256(PNG) }]);
  });
});
