import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WhatsAppApiError } from '../../adapters/whatsapp/graph-client.js';
import { normalizeWebhook } from '../../adapters/whatsapp/normalize-webhook.js';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
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
    expect(normalizeWebhook(body, WA.phoneNumberId)).toEqual([
      { platform: 'whatsapp', botId: WA.phoneNumberId, chatId: '1555', userId: '1555', userName: 'Alice', eventId: 'wamid.1', messageId: 'wamid.1', text: 'one', isPrivate: true, addressed: true, replyTarget: { chatId: '1555' } },
      { platform: 'whatsapp', botId: WA.phoneNumberId, chatId: '1556', userId: '1556', eventId: 'wamid.2', messageId: 'wamid.2', text: 'two', isPrivate: true, addressed: true, replyTarget: { chatId: '1556' } },
    ]);
  });

  it('skips statuses, non-text messages and other phone numbers of the account', () => {
    expect(normalizeWebhook(notification({ metadata, statuses: [{ id: 'wamid.1', status: 'read' }] }), WA.phoneNumberId)).toEqual([]);
    expect(normalizeWebhook(notification({ metadata, messages: [{ id: 'wamid.1', from: '1555', type: 'image', image: {} }] }), WA.phoneNumberId)).toEqual([]);
    const other = notification({ metadata: { phone_number_id: '999' }, messages: [{ id: 'wamid.1', from: '1555', type: 'text', text: { body: 'x' } }] });
    expect(normalizeWebhook(other, WA.phoneNumberId)).toEqual([]);
  });

  it.each([null, [], { object: 'page', entry: [] }, { object: 'whatsapp_business_account' }, notification({ metadata, messages: [{ type: 'text' }] })])(
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
});
