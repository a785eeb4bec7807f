import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../adapters/slack/slack-adapter.js';
import type { BotRunnerOptions } from '../../src/runner/bot-runner.js';
import type { HistoryStore } from '../../src/store/types.js';
import type { FakeOpenAI } from '../fakes/fake-openai-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack-server.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { startAdapterWorld, startOpenAIAdapterWorld } from '../runner/runner-world.js';

/*
 * Media through the real Bolt receiver and the fake Slack: the worker downloads a shared file's `url_private_download`
 * with the bot token, stores the bytes by SHA-256 before the model is asked, and a vision model gets them as image
 * parts through the real OpenAI client.
 */

const BOT_TOKEN = 'xoxb-media';
const SIGNING_SECRET = 'media-signing-secret';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeSlack(): Promise<FakeSlack> {
  const slack = await startFakeSlack({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, userNames: { U0ALICE: 'Alice' } });
  cleanups.push(() => slack.close());
  return slack;
}

/** A DM from Alice sharing `files` (Slack's `file_share` message), with `text` as its comment. */
function fileShare(slack: FakeSlack, channel: string, files: Array<Record<string, unknown>>, text = '') {
  const envelope = slack.directMessage({ channel, user: 'U0ALICE', text });
  return { ...envelope, event: { ...envelope.event, subtype: 'file_share', upload: false, files } };
}

const newAdapter = (slack: FakeSlack, logger: Parameters<Parameters<typeof startAdapterWorld>[0]>[0]) =>
  new SlackAdapter({ token: BOT_TOKEN, apiUrl: slack.apiUrl, logger, receive: { kind: 'http', signingSecret: SIGNING_SECRET, port: 0 } });

interface OpenAIWorld {
  slack: FakeSlack;
  llm: FakeOpenAI;
  store: HistoryStore;
  send(body: object): Promise<number>;
  settled(): Promise<void>;
}

async function openAIWorld(media: BotRunnerOptions['media'], transcriptionModel?: string): Promise<OpenAIWorld> {
  const slack = await fakeSlack();
  const world = await startOpenAIAdapterWorld((logger) => newAdapter(slack, logger), { media, transcriptionModel });
  cleanups.push(() => world.close());
  return {
    slack,
    llm: world.llm,
    store: world.store,
    send: async (body) => (await slack.sendEvent(`http://127.0.0.1:${world.adapter.port}/slack/events`, body)).status,
    settled: () => world.settled(),
  };
}

const texts = (slack: FakeSlack, channel: string) => slack.messagesIn(channel).map((m) => m.text);

describe('Slack media (real Bolt receiver, fake Slack serving url_private to the bot token)', () => {
  it('a vision model gets a shared image with its comment as an image part; the bytes are stored by SHA-256', async () => {
    const { slack, llm, store, send, settled } = await openAIWorld({ vision: true });
    const file = slack.addFile(PNG, { id: 'F0IMG1', name: 'red.png', mimetype: 'image/png' });
    expect(await send(fileShare(slack, 'D0M1', [file], 'What colour is this?'))).toBe(200);
    await settled();

    const described = `[image "red.png" image/png ${PNG.length} bytes]`;
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].messages.findLast((m) => m.role === 'user')?.content).toEqual([
      { type: 'text', text: `${described}\nWhat colour is this?` },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    expect(texts(slack, 'D0M1')).toEqual([expect.stringContaining('reply to:')]);
    expect((await store.getMedia(sha256(PNG)))!.bytes.equals(PNG)).toBe(true);
    expect(slack.fileDownloads).toEqual(['/files-pri/T0FAKETEAM-F0IMG1/download/red.png']);
  });

  it('an audio clip recorded in Slack is transcribed; a text file is inlined; over the size limit (Slack gives the size) refused at intake', async () => {
    const { slack, llm, send, settled } = await openAIWorld({ maxBytes: 1000 }, 'whisper-1');
    llm.setTranscriptionHandler(() => ({ text: 'Remind me to buy milk.' }));
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(60, 7)]);
    const clip = slack.addFile(webm, { id: 'F0CLIP1', name: 'audio_message.webm', mimetype: 'audio/webm', subtype: 'slack_audio' });
    expect(await send(fileShare(slack, 'D0M2', [clip]))).toBe(200);
    await settled();
    const notes = Buffer.from('# Shopping\n- milk\n');
    expect(await send(fileShare(slack, 'D0M3', [slack.addFile(notes, { id: 'F0DOC1', name: 'notes.md', mimetype: 'text/markdown' })], 'Sort this'))).toBe(200);
    expect(await send(fileShare(slack, 'D0M4', [slack.addFile(Buffer.alloc(10), { id: 'F0BIG1', name: 'big.txt', mimetype: 'text/plain', declaredSize: 5000 })]))).toBe(200);
    await settled();

    expect(llm.transcriptions).toEqual([{ model: 'whisper-1', fileName: expect.any(String), size: webm.length }]);
    expect(llm.requests.map((r) => r.messages.at(-1)!.content)).toEqual(['Remind me to buy milk.', `[document "notes.md" text/markdown ${notes.length} bytes]\n# Shopping\n- milk\n\nSort this`]);
    expect(texts(slack, 'D0M4')).toEqual(['Sorry, that file is too large (4.9 KB): I can take files up to 1000 bytes.']);
    expect(slack.fileDownloads).toEqual(['/files-pri/T0FAKETEAM-F0CLIP1/download/audio_message.webm', '/files-pri/T0FAKETEAM-F0DOC1/download/notes.md']);
  });

  it('a second attempt reads the stored bytes; a file URL off Slack\'s hosts never gets the token', async () => {
    const slack = await fakeSlack();
    const world = await startAdapterWorld((logger) => newAdapter(slack, logger), { media: { vision: true } });
    cleanups.push(() => world.close());
    world.model.steps.push({ error: new Error('worker died mid-turn') as never });
    const pdf = tinyPdf(['Quarterly report']);
    const url = `http://127.0.0.1:${world.adapter.port}/slack/events`;
    const file = slack.addFile(pdf, { id: 'F0PDF1', name: 'q2.pdf', mimetype: 'application/pdf' });
    const again = fileShare(slack, 'D0M5', [file], 'again?');
    expect((await slack.sendEvent(url, again)).status).toBe(200);
    const elsewhere = { ...slack.addFile(PNG, { id: 'F0EVIL', name: 'x.png', mimetype: 'image/png' }), url_private_download: 'http://198.51.100.7/files-pri/x.png' };
    const look = fileShare(slack, 'D0M6', [elsewhere], 'look');
    expect((await slack.sendEvent(url, look)).status).toBe(200);
    await world.settled();

    expect(texts(slack, 'D0M5')).toEqual([`re: [document "q2.pdf" application/pdf ${pdf.length} bytes]\nQuarterly report\nagain?`]);
    expect(slack.fileDownloads).toEqual(['/files-pri/T0FAKETEAM-F0PDF1/download/q2.pdf']);
    const done = (await world.store.inboxTimeline(`D0M5-${again.event.ts}`))!.entry;
    expect(done).toMatchObject({ status: 'done', attempts: 2 });
    expect(await world.store.inboxMedia(done.id)).toEqual([{ position: 0, hash: sha256(pdf) }]);
    const refused = (await world.store.inboxTimeline(`D0M6-${look.event.ts}`))!.entry;
    expect(refused.lastError).toContain('not on a Slack host (198.51.100.7)');
    // Nothing was fetched from there; the sender gets the runner's notice for a message it gave up on.
    expect(refused.status).toBe('dead');
    expect(texts(slack, 'D0M6')).toEqual([expect.stringContaining('Sorry, I could not answer your message')]);
  });
});
