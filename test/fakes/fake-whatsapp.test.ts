import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, readRawBody, sendJson, type LocalServer } from './http-json.js';
import { startFakeWhatsApp, type FakeWhatsApp } from './fake-whatsapp-server.js';

const accessToken = 'fake-wa-access-token';
const phoneNumberId = '110000000000001';
const appSecret = 'fake-app-secret';
const verifyToken = 'fake-verify-token';

let fake: FakeWhatsApp;

beforeEach(async () => {
  fake = await startFakeWhatsApp({ accessToken, phoneNumberId, appSecret });
});

afterEach(async () => {
  await fake.close();
});

function sendText(url: string, to: string, body: string, token = accessToken): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body } }),
  });
}

describe('fake WhatsApp Graph send endpoint', () => {
  it('accepts a text message, answers with its id and records it', async () => {
    const response = await sendText(`${fake.graphUrl}/${phoneNumberId}/messages`, '15551230001', 'hello');
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { messages: Array<{ id: string }> };
    expect(fake.sent).toEqual([{ id: answer.messages[0].id, to: '15551230001', type: 'text', text: 'hello', body: expect.any(Object) }]);
    expect(fake.sentTo('15551230001').map((message) => message.text)).toEqual(['hello']);
    expect(fake.sentTo('15559999999')).toEqual([]);
  });

  it('accepts the path without the version prefix', async () => {
    const unversioned = fake.graphUrl.replace(/\/v\d+\.\d+$/, '');
    expect((await sendText(`${unversioned}/${phoneNumberId}/messages`, '15551230001', 'hi')).status).toBe(200);
    expect(fake.sent).toHaveLength(1);
  });

  it('rejects a wrong token, an unknown phone number id and a body without text', async () => {
    const wrongToken = await sendText(`${fake.graphUrl}/${phoneNumberId}/messages`, '1555', 'x', 'wrong-token');
    expect(wrongToken.status).toBe(401);
    expect(((await wrongToken.json()) as { error: { code: number } }).error.code).toBe(190);
    expect((await sendText(`${fake.graphUrl}/999/messages`, '1555', 'x')).status).toBe(400);
    const noText = await fetch(`${fake.graphUrl}/${phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '1555', type: 'text' }),
    });
    expect(noText.status).toBe(400);
    expect(fake.sent).toEqual([]);
  });
});

describe('fake WhatsApp webhook senders', () => {
  let webhook: LocalServer;
  const delivered: unknown[] = [];

  // A minimal receiver that checks what Meta's docs require, so the fake's signing and payload are proven independently.
  beforeEach(async () => {
    delivered.length = 0;
    webhook = await listenOnLoopback(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://webhook');
      if (req.method === 'GET') {
        const ok = url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === verifyToken;
        res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
        return res.end(ok ? url.searchParams.get('hub.challenge') : 'forbidden');
      }
      const raw = await readRawBody(req);
      const expected = Buffer.from(`sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return sendJson(res, 401, { error: 'bad signature' });
      delivered.push(JSON.parse(raw.toString('utf8')));
      sendJson(res, 200, { ok: true });
    });
  });

  afterEach(async () => {
    await webhook.close();
  });

  it('posts a correctly signed Cloud API payload', async () => {
    const response = await fake.postInbound(`${webhook.url}/whatsapp`, { from: '15551230001', text: 'hi bot', name: 'Alice' });
    expect(response.status).toBe(200);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      object: 'whatsapp_business_account',
      entry: [{ changes: [{ field: 'messages', value: {
        metadata: { phone_number_id: phoneNumberId },
        contacts: [{ profile: { name: 'Alice' }, wa_id: '15551230001' }],
        messages: [{ from: '15551230001', id: response.messageId, type: 'text', text: { body: 'hi bot' } }],
      } }] }],
    });
  });

  it('keeps a given message id, so redeliveries can be simulated', async () => {
    await fake.postInbound(`${webhook.url}/whatsapp`, { from: '1555', text: 'a', messageId: 'wamid.same' });
    const again = await fake.postInbound(`${webhook.url}/whatsapp`, { from: '1555', text: 'a', messageId: 'wamid.same' });
    expect(again.messageId).toBe('wamid.same');
    expect(delivered).toHaveLength(2);
  });

  it('sends a bad signature when asked', async () => {
    const response = await fake.postInbound(`${webhook.url}/whatsapp`, { from: '1555', text: 'forged' }, { badSignature: true });
    expect(response.status).toBe(401);
    expect(delivered).toEqual([]);
  });

  it('performs the verification handshake', async () => {
    expect(await fake.verify(`${webhook.url}/whatsapp`, verifyToken, '8412')).toEqual({ status: 200, body: '8412' });
    expect((await fake.verify(`${webhook.url}/whatsapp`, 'wrong', '8412')).status).toBe(403);
  });
});
