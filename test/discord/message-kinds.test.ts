import { afterEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord-server.js';
import { startAdapterWorld, type AdapterWorld } from '../runner/runner-world.js';
import { eventually } from '../support/eventually.js';
import { payloadFixtures } from '../support/payload-fixtures.js';
import { guild, guildOnShard } from './discord-bot-harness.js';

/*
 * Discord messages beyond plain text, from real-shaped MESSAGE_CREATE payloads
 * (test/fixtures/platform-payloads/discord.json), dispatched by the fake gateway to a real discord.js client, into
 * the runner.
 */

const TOKEN = 'discord-kinds-token';
const GENERAL = '300000000000000001';

type Payload = Record<string, unknown> & { id: string; channel_id: string; author: { id: string } };
const fixtures = () => payloadFixtures<Payload>('discord');

let discord: FakeDiscord | undefined;
let world: AdapterWorld<DiscordAdapter> | undefined;
afterEach(async () => {
  await world?.close();
  await discord?.close();
  world = discord = undefined;
});

/** Media the bot could fetch, but this bot (no vision, no transcription) cannot use. */
const NO_VISION = 'Sorry, this model cannot see images. Please describe the picture in text (or add a caption).';
const NO_TRANSCRIPTION = (what: string) => `Sorry, I can't listen to ${what}: no transcription is set up for this bot. Please send text.`;

const textsIn = (fake: FakeDiscord, channelId: string) => fake.messages.filter((m) => m.channelId === channelId).map((m) => fake.edits.findLast((e) => e.messageId === m.id)?.content ?? m.content);

describe('Discord message kinds (real discord.js, fake gateway and REST, the runner)', () => {
  it('image-only and voice messages this bot cannot use get one plain reply (nothing downloaded), stickers are answered by name, a DM without channel_type is not lost', async () => {
    expect(guildOnShard(0, 1)).toBe('4194304000');
    discord = await startFakeDiscord({ token: TOKEN, guilds: [guild('4194304000', [GENERAL])] });
    const fake = discord;
    world = await startAdapterWorld(
      (logger, store) => new DiscordAdapter({ token: TOKEN, apiUrl: fake.apiUrl, shardCount: 1, leases: store, logger, onFatal: () => {} }),
      { stream: false },
    );
    const f = fixtures();
    for (const name of ['imageOnlyDm', 'voiceMessageDm', 'stickerOnlyDm', 'dmWithoutChannelType', 'imageReplyInGuild', 'imageInGuild']) fake.dispatchMessage(f[name]);
    await eventually('every answer', () => (fake.messages.length >= 5 ? true : undefined), 10_000);
    await world.settled();

    const answers = Object.fromEntries(['imageOnlyDm', 'voiceMessageDm', 'stickerOnlyDm', 'dmWithoutChannelType'].map((name) => [name, textsIn(fake, f[name].channel_id)]));
    expect(answers).toEqual({
      imageOnlyDm: [NO_VISION],
      voiceMessageDm: [NO_TRANSCRIPTION('voice messages')],
      stickerOnlyDm: ['re: [sticker Wave]'],
      dmWithoutChannelType: ['re: hello from a DM'],
    });
    // In the server: the image that replies to the bot is told once, as a reply; the one shared with the channel is left alone.
    expect(fake.messages.filter((m) => m.channelId === GENERAL)).toEqual([
      expect.objectContaining({ replyTo: f.imageReplyInGuild.id, content: NO_VISION }),
    ]);
    expect(fake.cdnDownloads).toEqual([]);
    expect(world.model.calls.sort()).toEqual(['[sticker Wave]', 'hello from a DM']);

    const voice = await world.store.inboxTimeline(f.voiceMessageDm.id);
    expect(voice?.entry).toMatchObject({ status: 'refused', lastError: 'unsupported content: voice' });
    expect((voice?.entry.payload as { attachments: unknown }).attachments).toEqual([
      {
        kind: 'voice',
        mimeType: 'audio/ogg',
        fileName: 'voice-message.ogg',
        platformFileId: '1250000000000000102',
        url: 'https://cdn.discordapp.com/attachments/400000000000000012/1250000000000000102/voice-message.ogg?ex=6668f5b0&is=6667a430&hm=9a8b7c',
        size: 14233,
        durationSeconds: 3.24,
      },
    ]);
    expect(world.logs.filter((l) => l.msg === 'message refused').map((l) => [l.level, l.content]).sort()).toEqual([[30, 'image'], [30, 'image'], [30, 'voice']]);
    expect(world.logs.some((l) => l.msg === 'a DM MESSAGE_CREATE without channel_type: taken as a DM' && l.messageId === f.dmWithoutChannelType.id)).toBe(true);
  });
});
