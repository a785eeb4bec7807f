import { afterEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../adapters/slack/slack-adapter.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack-server.js';
import { startAdapterWorld, type AdapterWorld } from '../runner/runner-world.js';
import { payloadFixtures } from '../support/payload-fixtures.js';
import { tinyPdf } from '../support/tiny-pdf.js';

/*
 * Slack events beyond a plain text message, from real-shaped envelopes (test/fixtures/platform-payloads/slack.json),
 * signed by the fake Slack and posted to the real Bolt receiver, into the runner.
 */

const BOT_TOKEN = 'xoxb-kinds';
const SIGNING_SECRET = 'kinds-signing-secret';

let slack: FakeSlack | undefined;
let world: AdapterWorld<SlackAdapter> | undefined;
afterEach(async () => {
  await world?.close();
  await slack?.close();
  world = slack = undefined;
});

const fixtures = () => payloadFixtures<object>('slack');

async function slackWorld() {
  slack = await startFakeSlack({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, userNames: { U0ALICE: 'Alice', U0BOB: 'Bob' } });
  const fake = slack;
  world = await startAdapterWorld((logger) => new SlackAdapter({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger, receive: { kind: 'http', signingSecret: SIGNING_SECRET, port: 0 } }));
  const url = `http://127.0.0.1:${world.adapter.port}/slack/events`;
  return { fake, world, send: async (body: object) => (await fake.sendEvent(url, body)).status };
}

/** Media the bot could fetch, but this bot (no vision, no transcription) cannot use. */
const NO_VISION = 'Sorry, this model cannot see images. Please describe the picture in text (or add a caption).';
const NO_TRANSCRIPTION = (what: string) => `Sorry, I can't listen to ${what}: no transcription is set up for this bot. Please send text.`;
/** A fixture with its Slack file URLs pointing at the fake (which serves them to the bot token). */
const onFake = (fake: FakeSlack, fixture: object): object => JSON.parse(JSON.stringify(fixture).replaceAll('https://files.slack.com', fake.fileOrigin));

const texts = (fake: FakeSlack, channel: string, threadTs?: string) => fake.messagesIn(channel, threadTs).map((m) => m.text);

describe('Slack events (real Bolt receiver and WebClient, fake Slack, the runner)', () => {
  it('an edited mention (sent again with a new event_id) is answered and stored once; a mention added by an edit is answered', async () => {
    const { fake, world, send } = await slackWorld();
    expect(await send(fixtures().appMention)).toBe(200);
    await world.settled();
    expect(await send(fixtures().appMentionEdited)).toBe(200);
    expect(await send(fixtures().mentionAddedByEdit)).toBe(200);
    await world.settled();

    const thread = '1718000100.000200';
    expect(texts(fake, 'C0GEN', thread)).toEqual(['re: Alice: what is a monad']);
    expect(texts(fake, 'C0GEN', '1718000200.000400')).toEqual(['re: Bob: can you summarise the thread?']);
    const history = await world.store.fullHistory(`slack:T0FAKETEAM:C0GEN:${thread}`);
    expect(history.map((m) => [m.role, m.content])).toEqual([
      ['user', 'what is a monad'],
      ['assistant', 're: Alice: what is a monad'],
    ]);
    // The edit is counted as the same message delivered again.
    expect((await world.store.inboxTimeline(`C0GEN-${thread}`))?.entry).toMatchObject({ status: 'done', redeliveries: 1 });
  });

  it('Slackbot\'s notices are not answered; an image or a clip this bot cannot use gets one plain reply; a PDF with a comment is read and answered', async () => {
    const { fake, world, send } = await slackWorld();
    // The PDF the document message shares, as Slack serves it to the bot token.
    const pdf = tinyPdf(['Revenue grew']);
    fake.addFileAt('/files-pri/T0FAKETEAM-F07DOCUMENT01/download/q2-report.pdf', pdf, 'application/pdf');
    for (const name of ['slackbotDm', 'imageDm', 'documentWithTextDm', 'audioClipDm']) expect(await send(onFake(fake, fixtures()[name])), name).toBe(200);
    await world.settled();
    // Slack retries the image event (our 200 was lost): the user is not told twice.
    expect(await send(onFake(fake, fixtures().imageDm))).toBe(200);
    await world.settled();

    expect(texts(fake, 'D0SLACKBOT')).toEqual([]);
    expect(await world.store.inboxTimeline('D0SLACKBOT-1718000300.000600')).toBeNull();
    expect(texts(fake, 'D0DM1')).toEqual([NO_VISION]);
    expect(texts(fake, 'D0DM3')).toEqual([NO_TRANSCRIPTION('voice messages')]);
    const read = `[document "q2-report.pdf" application/pdf ${pdf.length} bytes]\nRevenue grew\ncan you summarise this?`;
    expect(texts(fake, 'D0DM2')).toEqual([`re: ${read}`]);
    expect(world.model.calls).toEqual([read]);
    // Only the PDF was downloaded (with the bot token): nothing this bot cannot use.
    expect(fake.fileDownloads).toEqual(['/files-pri/T0FAKETEAM-F07DOCUMENT01/download/q2-report.pdf']);

    const image = await world.store.inboxTimeline('D0DM1-1718000400.000700');
    expect(image?.entry).toMatchObject({ status: 'refused', lastError: 'unsupported content: image', redeliveries: 1 });
    expect((image?.entry.payload as { attachments: unknown }).attachments).toEqual([
      {
        kind: 'image',
        mimeType: 'image/jpeg',
        fileName: 'IMG_2041.jpg',
        platformFileId: 'F07IMAGE0001',
        url: `${fake.fileOrigin}/files-pri/T0FAKETEAM-F07IMAGE0001/download/img_2041.jpg`,
        size: 183442,
      },
    ]);
    expect(world.logs.filter((l) => l.msg === 'message refused').map((l) => [l.level, l.content]).sort()).toEqual([[30, 'image'], [30, 'voice']]);
  });
});
