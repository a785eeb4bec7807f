import { CLI_MAIN } from '../support/cli-build.js';
import { runTs } from '../support/processes.js';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeWebhook } from '../../adapters/whatsapp/normalize-webhook.js';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
import { startAdapterWorld, type AdapterWorld } from '../runner/runner-world.js';
import { payloadFixtures } from '../support/payload-fixtures.js';
import { tinyPdf } from '../support/tiny-pdf.js';
import { WA } from './whatsapp-harness.js';

/*
 * Every type of WhatsApp Cloud API message, and the `failed` delivery status, from real-shaped payloads
 * (test/fixtures/platform-payloads/whatsapp.json), signed and posted by the fake Meta to the adapter's webhook,
 * into the runner: what each type is answered with, and that nothing is met with silence.
 */

const UNSUPPORTED = (what: string) => `Sorry, I can't open ${what} yet. Please send text (a caption on a photo or file works too).`;
/** Media the bot could fetch, but this bot (no vision, no transcription) cannot use. */
const NO_VISION = 'Sorry, this model cannot see images. Please describe the picture in text (or add a caption).';
const NO_TRANSCRIPTION = (what: string) => `Sorry, I can't listen to ${what}: no transcription is set up for this bot. Please send text.`;
const UNKNOWN = "Sorry, I can't read this kind of message yet. Please send text (a caption on a photo or file works too).";

type Payload = Record<string, unknown> & { from?: string; id?: string };
const fixtures = () => payloadFixtures<Payload>('whatsapp');
const notification = (value: object) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '100000000000001', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: WA.phoneNumberId }, ...value } }] }],
});
const withSender = (message: Payload) => notification({ contacts: [{ profile: { name: 'Jane' }, wa_id: message.from }], messages: [message] });

let fake: FakeWhatsApp | undefined;
let world: AdapterWorld<WhatsAppAdapter> | undefined;
afterEach(async () => {
  await world?.close();
  await fake?.close();
  world = fake = undefined;
});

async function whatsappWorld() {
  fake = await startFakeWhatsApp(WA);
  const graphUrl = fake.graphUrl;
  world = await startAdapterWorld((logger) => new WhatsAppAdapter({ ...WA, apiUrl: graphUrl, port: 0, host: '127.0.0.1', logger }));
  const url = `http://127.0.0.1:${world.adapter.port}/whatsapp`;
  const f = fake;
  return { fake: f, world, post: async (body: object) => (await f.postSigned(url, JSON.stringify(body))).status };
}

describe('WhatsApp message types (the adapter\'s webhook, the fake Graph API, the runner)', () => {
  it('media without a caption, stickers, orders and unsupported types get one plain reply; captions, places, contacts and button replies are answered', async () => {
    const { fake, world, post } = await whatsappWorld();
    const f = fixtures();
    // The PDFs the document messages name, as the Graph API would serve them.
    const contract = tinyPdf(['Contract terms']);
    const invoice = tinyPdf(['Invoice 42']);
    fake.addMedia(contract, { id: '1537185730223616', mimeType: 'application/pdf' });
    fake.addMedia(invoice, { id: '1537185730223617', mimeType: 'application/pdf' });
    const cases = ['text', 'image', 'imageWithCaption', 'video', 'document', 'documentOnly', 'audio', 'voice', 'sticker', 'location', 'contacts', 'button', 'buttonReply', 'listReply', 'order', 'unsupported', 'reaction'];
    for (const name of cases) expect(await post(withSender(f[name])), name).toBe(200);
    await world.settled();

    const answers = Object.fromEntries(cases.map((name) => [name, fake.sentTo(f[name].from!).map((m) => m.text)]));
    expect(answers).toEqual({
      text: ['re: Hello there'],
      image: [NO_VISION],
      imageWithCaption: ['re: [The user attached an image, which you cannot see.]\nIs this rash serious?'],
      video: ['re: [The user attached a video, which you cannot see.]\nLook at this'],
      document: [`re: [document "contract.pdf" application/pdf ${contract.length} bytes]\nContract terms\nPlease summarise this`],
      documentOnly: [`re: [document "invoice.pdf" application/pdf ${invoice.length} bytes]\nInvoice 42`],
      audio: [NO_TRANSCRIPTION('audio files')],
      voice: [NO_TRANSCRIPTION('voice messages')],
      sticker: [UNSUPPORTED('stickers')],
      location: ['re: [location 37.48331, -122.14898: Meta Headquarters, 1 Hacker Way, Menlo Park, CA 94025]'],
      contacts: ['re: [contact Jane Doe +49 151 23456789]'],
      // How users answer templates and interactive messages: the title they tapped is their text.
      button: ['re: Yes, reschedule'],
      buttonReply: ['re: Confirm'],
      listReply: ['re: Tuesday 10:00'],
      order: [UNKNOWN],
      unsupported: [UNKNOWN],
      // A reaction to a message is not a message to answer.
      reaction: [],
    });
    expect(world.model.calls).toHaveLength(10);
    // Only the two PDFs were fetched: nothing this bot cannot use is downloaded.
    expect([...fake.mediaDownloads].sort()).toEqual(['1537185730223616', '1537185730223617']);

    // Meta delivers the voice message again: recognised, the user is not told twice.
    expect(await post(withSender(fixtures().voice))).toBe(200);
    await world.settled();
    expect(fake.sentTo(f.voice.from!)).toHaveLength(1);
    const voice = await world.store.inboxTimeline(String(f.voice.id));
    expect(voice?.entry).toMatchObject({ status: 'refused', lastError: 'unsupported content: voice', redeliveries: 1 });
    expect((voice?.entry.payload as { attachments: unknown }).attachments).toEqual([{ kind: 'voice', platformFileId: '1250218122717216', mimeType: 'audio/ogg; codecs=opus' }]);
    const refused = world.logs.filter((l) => l.msg === 'message refused').map((l) => [l.level, l.content]);
    expect(refused.sort()).toEqual([[30, 'audio'], [30, 'image'], [30, 'order'], [30, 'sticker'], [30, 'unsupported'], [30, 'voice']]);
  });

  it('a failed delivery status is noted on the reply part it names (inbox explain shows it) and warned about; other statuses are quiet', async () => {
    const { fake, world, post } = await whatsappWorld();
    const f = fixtures();
    // A reply WhatsApp accepted, then reports undelivered (error 130472), as Meta sends it: the status names our wamid.
    expect(await post(withSender(f.text))).toBe(200);
    await world.settled();
    const [reply] = fake.sentTo(f.text.from!);
    const failed = { ...f.failedStatus, id: reply.id, recipient_id: f.text.from };
    expect(await post(notification({ statuses: [f.deliveredStatus, failed] }))).toBe(200);
    const { replyParts } = (await world.store.inboxTimeline(String(f.text.id)))!;
    expect(replyParts).toEqual([{ part: 0, platformMessageId: reply.id, deliveryError: "130472 User's number is part of an experiment" }]);
    // The operator sees it where the entry's fate is explained.
    const explained = await runTs(CLI_MAIN, ['inbox', 'explain', String(f.text.id), '--db', world.store.location], { env: { THREADLINE_DB: undefined, DATABASE_URL: undefined } });
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`part 0 (${reply.id}) was not delivered: 130472 User's number is part of an experiment`);
    // One warning naming the message, the entry, the recipient and the error.
    expect(world.logs.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({
        msg: 'the platform could not deliver a reply it had accepted',
        messageId: reply.id,
        inboxIds: [expect.any(Number)],
        recipientId: f.text.from,
        code: 130472,
        reason: "130472 User's number is part of an experiment",
        details: "Failed to send message because this user's phone number is part of an experiment",
      }),
    ]);

    // A failed status for a message that is no reply on record (sent by another tool on the number): a warning only.
    expect(await post(notification({ statuses: [f.failedStatus] }))).toBe(200);
    expect(world.logs.filter((l) => l.level === 40).at(-1)).toMatchObject({
      msg: 'the platform could not deliver a message of this bot that is no reply on record',
      messageId: f.failedStatus.id,
      inboxIds: [],
    });
  });

  it('normalizes each type into the shape a later media download needs', () => {
    const f = fixtures();
    const [document] = normalizeWebhook(withSender(f.document), WA.phoneNumberId).messages;
    expect(document).toMatchObject({ text: 'Please summarise this', attachments: [{ kind: 'document', platformFileId: '1537185730223616', mimeType: 'application/pdf', fileName: 'contract.pdf' }] });
    const [list] = normalizeWebhook(withSender(f.listReply), WA.phoneNumberId).messages;
    expect(list).toMatchObject({ text: 'Tuesday 10:00', items: [{ kind: 'choice', via: 'list_reply', title: 'Tuesday 10:00', payload: 'slot-tue-10' }] });
    const [order] = normalizeWebhook(withSender(f.order), WA.phoneNumberId).messages;
    expect(order).toMatchObject({ text: '', unsupported: 'order' });
    const { failed } = normalizeWebhook(notification({ statuses: [f.failedStatus, f.deliveredStatus] }), WA.phoneNumberId);
    expect(failed).toEqual([expect.objectContaining({ code: 130472, recipientId: '4915100000018' })]);
  });
});
