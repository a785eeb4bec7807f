import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingInbox } from '../support/recording-inbox.js';
import { WhatsAppApiError } from '../../adapters/whatsapp/graph-client.js';
import { normalizeWebhook } from '../../adapters/whatsapp/normalize-webhook.js';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { DeliveryFault, InboundMessage } from '../../src/runner/platform-adapter.js';
import { startFakeWhatsApp, type FakeWhatsApp, type GraphErrorAnswer } from '../fakes/fake-whatsapp-server.js';
import { WA } from './whatsapp-harness.js';

const notification = (value: object) => ({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value }] }] });
const metadata = { phone_number_id: WA.phoneNumberId };

describe('normalizeWebhook', () => {
  it('turns text messages into private, addressed inbound messages, in order', () => {
    const body = notification({
      metadata,
      contacts: [{ wa_id: '1555', profile: { name: 'Alice' } }],
      messages: [
        { id: 'wamid.1', from: '1555', type: 'text', text: { body: 'one' } },
        { id: 'wamid.2', from: '1556', type: 'text', text: { body: 'two' } },
      ],
    });
    expect(normalizeWebhook(body, WA.phoneNumberId).messages).toEqual([
      { platform: 'whatsapp', botId: WA.phoneNumberId, chatId: '1555', userId: '1555', userName: 'Alice', eventId: 'wamid.1', messageId: 'wamid.1', text: 'one', isPrivate: true, addressed: true, replyTarget: { chatId: '1555' } },
      { platform: 'whatsapp', botId: WA.phoneNumberId, chatId: '1556', userId: '1556', eventId: 'wamid.2', messageId: 'wamid.2', text: 'two', isPrivate: true, addressed: true, replyTarget: { chatId: '1556' } },
    ]);
  });

  it('skips statuses other than failed, reactions and other phone numbers of the account', () => {
    const nothing = { messages: [], unusable: [], failed: [] };
    expect(normalizeWebhook(notification({ metadata, statuses: [{ id: 'wamid.1', status: 'read' }] }), WA.phoneNumberId)).toEqual(nothing);
    expect(normalizeWebhook(notification({ metadata, messages: [{ id: 'wamid.1', from: '1555', type: 'reaction', reaction: { message_id: 'wamid.0', emoji: '👍' } }] }), WA.phoneNumberId)).toEqual(nothing);
    const other = notification({ metadata: { phone_number_id: '999' }, messages: [{ id: 'wamid.1', from: '1555', type: 'text', text: { body: 'x' } }] });
    expect(normalizeWebhook(other, WA.phoneNumberId)).toEqual(nothing);
    // An image without a caption is a message (the runner tells the user it cannot open it), not nothing.
    const [image] = normalizeWebhook(notification({ metadata, messages: [{ id: 'wamid.2', from: '1555', type: 'image', image: { id: '77', mime_type: 'image/jpeg' } }] }), WA.phoneNumberId).messages;
    expect(image).toMatchObject({ text: '', attachments: [{ kind: 'image', platformFileId: '77', mimeType: 'image/jpeg' }] });
  });

  it('reports messages without an id or a sender as unusable, next to the usable ones', () => {
    const body = notification({
      metadata,
      messages: [{ type: 'text' }, { id: 'wamid.2', type: 'text', text: { body: 'x' } }, { id: 'wamid.3', from: '1555', type: 'text', text: { body: 'ok' } }],
    });
    const { messages, unusable } = normalizeWebhook(body, WA.phoneNumberId);
    expect(messages.map((m) => m.eventId)).toEqual(['wamid.3']);
    expect(unusable).toEqual([{ reason: 'a message without an id' }, { eventId: 'wamid.2', reason: 'a message without a sender (from)' }]);
  });

  it.each([null, [], { object: 'page', entry: [] }, { object: 'whatsapp_business_account' }, notification({ metadata, messages: 'none' })])(
    'rejects %j as malformed',
    (body) => {
      expect(() => normalizeWebhook(body, WA.phoneNumberId)).toThrow(/./);
    },
  );
});

describe('WhatsAppAdapter', () => {
  let fake: FakeWhatsApp;
  let adapter: WhatsAppAdapter;
  beforeEach(async () => {
    fake = await startFakeWhatsApp(WA);
    adapter = new WhatsAppAdapter({ ...WA, apiUrl: fake.graphUrl, port: 0, host: '127.0.0.1', logger: silentLogger });
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  it('answers 200 only once the handler recorded the message, 500 when it could not (so Meta retries)', async () => {
    let fail = true;
    const recorded: InboundMessage[] = [];
    await adapter.start({
      receive: async (message) => {
        if (fail) throw new Error('database unavailable');
        recorded.push(message);
        return { duplicate: false };
      },
      refuse: async () => {},
      undelivered: async () => {},
    });
    const url = `http://127.0.0.1:${adapter.port}/`;
    expect((await fake.postInbound(url, { from: '1555', text: 'hi', messageId: 'wamid.retry' })).status).toBe(500);
    fail = false;
    expect((await fake.postInbound(url, { from: '1555', text: 'hi', messageId: 'wamid.retry' })).status).toBe(200);
    expect(recorded.map((m) => m.eventId)).toEqual(['wamid.retry']);
  });

  it('sends text through the Graph API and reports a rejected token in one line', async () => {
    const id = await adapter.send({ chatId: '1555' }, 'hello');
    expect(fake.sent).toEqual([expect.objectContaining({ id, to: '1555', type: 'text', text: 'hello' })]);
    const wrong = new WhatsAppAdapter({ ...WA, accessToken: 'expired', apiUrl: fake.graphUrl, port: 0, logger: silentLogger });
    const error = await wrong.send({ chatId: '1555' }, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppApiError);
    expect((error as Error).message).toMatch(/^WhatsApp rejected the access token \(check WHATSAPP_ACCESS_TOKEN\): /);
    expect((error as Error).message).not.toContain('expired');
  });

  describe('message fates', () => {
    const faultOfSend = async (to = '1555') => adapter.classifyError(await adapter.send({ chatId: to }, 'hello').then(() => expect.unreachable('the send should fail'), (e: unknown) => e));

    it.each<[GraphErrorAnswer, DeliveryFault]>([
      [{ status: 400, code: 131047, message: 'Re-engagement message' }, { kind: 'unreachable', reason: 'Re-engagement message (code 131047)' }],
      [{ status: 400, code: 131026, message: 'Message Undeliverable' }, { kind: 'unreachable', reason: 'Message Undeliverable (code 131026)' }],
      [{ status: 400, code: 131030, message: 'Recipient phone number not in allowed list' }, { kind: 'unreachable', reason: 'Recipient phone number not in allowed list (code 131030)' }],
      // The number's throughput, or the pair rate: paused for a moment (for every worker, by the runner).
      [{ status: 400, code: 130429, message: 'Rate limit hit' }, { kind: 'transient', reason: 'Rate limit hit (code 130429)', retryAfterMs: 1_000, limit: 'number' }],
      [{ status: 400, code: 131056, message: 'Pair rate limit hit' }, { kind: 'transient', reason: 'Pair rate limit hit (code 131056)', retryAfterMs: 6_000, limit: 'recipient' }],
      [{ status: 400, code: 131048, message: 'Spam rate limit hit' }, { kind: 'transient', reason: 'Spam rate limit hit (code 131048)' }],
      [{ status: 400, code: 80007, message: 'Rate limit issues' }, { kind: 'transient', reason: 'Rate limit issues (code 80007)' }],
      [{ status: 400, code: 4, message: 'Application request limit reached' }, { kind: 'transient', reason: 'Application request limit reached (code 4)' }],
      [{ status: 401, code: 190, subcode: 463, message: 'Error validating access token: Session has expired' }, { kind: 'permanent', reason: 'Error validating access token: Session has expired (code 190/463)' }],
      [{ status: 403, code: 10, message: 'Permission denied' }, { kind: 'permanent', reason: 'Permission denied (code 10)' }],
      [{ status: 403, code: 200, message: 'Requires whatsapp_business_messaging permission' }, { kind: 'permanent', reason: 'Requires whatsapp_business_messaging permission (code 200)' }],
      [{ status: 400, code: 100, message: 'Invalid parameter' }, { kind: 'content', reason: 'Invalid parameter (code 100)' }],
      [{ status: 400, code: 131009, message: 'Parameter value is not valid' }, { kind: 'content', reason: 'Parameter value is not valid (code 131009)' }],
      [{ status: 503, code: 1, message: 'An unknown error occurred' }, { kind: 'transient', reason: 'An unknown error occurred (code 1)' }],
    ])('a send answered %j is classified %j', async (error, fault) => {
      fake.failSends({ chatId: '1555', error });
      expect(await faultOfSend()).toEqual(fault);
    });

    it('a cue is used up after `times` sends and leaves other recipients alone', async () => {
      fake.failSends({ chatId: '1555', times: 2, error: { status: 400, code: 131047, message: 'Re-engagement message' } });
      await expect(adapter.send({ chatId: '1666' }, 'other')).resolves.toMatch(/^wamid\./);
      await expect(adapter.send({ chatId: '1555' }, 'one')).rejects.toThrow(/Re-engagement/);
      await expect(adapter.send({ chatId: '1555' }, 'two')).rejects.toThrow(/Re-engagement/);
      await expect(adapter.send({ chatId: '1555' }, 'three')).resolves.toMatch(/^wamid\./);
      expect(fake.sent.map((m) => m.text)).toEqual(['other', 'three']);
    });

    it('an unreachable Graph API is transient, its reason free of the token', async () => {
      await fake.close();
      const fault = await faultOfSend();
      expect(fault).toEqual({ kind: 'transient', reason: 'network error: ECONNREFUSED' });
      expect(fault.reason).not.toContain(WA.accessToken);
      fake = await startFakeWhatsApp(WA);
    });


    it('503 with Retry-After while the store is unreachable, 500 for other recording failures', async () => {
      let failure: Error | undefined = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      const { sink, received } = recordingInbox(async () => {
        if (failure) throw failure;
        return { duplicate: false };
      });
      await adapter.start(sink);
      const url = `http://127.0.0.1:${adapter.port}/`;
      const post = () => fake.postInbound(url, { from: '1555', text: 'hi', messageId: 'wamid.fate' });
      const away = await post();
      expect(away.status).toBe(503);
      expect(away.retryAfter).toBe('5');
      failure = new Error('a bug in recording');
      const broken = await post();
      expect(broken.status).toBe(500);
      expect(broken.retryAfter).toBeUndefined();
      failure = undefined;
      expect((await post()).status).toBe(200);
      expect(received.map((m) => m.eventId)).toEqual(['wamid.fate', 'wamid.fate', 'wamid.fate']);
    });

    it('refuses messages without an id or a sender (200), still records the good ones; a body that is no notification stays 400', async () => {
      const { sink, received, refused } = recordingInbox();
      await adapter.start(sink);
      const url = `http://127.0.0.1:${adapter.port}/`;
      const body = notification({
        metadata,
        messages: [{ id: 'wamid.nofrom', type: 'text', text: { body: 'who am I' } }, { id: 'wamid.good', from: '1555', type: 'text', text: { body: 'hi' } }],
      });
      expect((await fake.postSigned(url, JSON.stringify(body))).status).toBe(200);
      expect(refused).toEqual([{ platform: 'whatsapp', botId: WA.phoneNumberId, eventId: 'wamid.nofrom', reason: 'a message without a sender (from)' }]);
      expect(received.map((m) => m.eventId)).toEqual(['wamid.good']);
      expect((await fake.postSigned(url, '{"object": "whatsapp_business_account", "entry": [')).status).toBe(400);
      expect((await fake.postSigned(url, JSON.stringify({ object: 'page', entry: [] }))).status).toBe(400);
      expect(refused).toHaveLength(1);
    });
  });
});
