import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BODY_BYTES } from '../../adapters/shared/webhook-http.js';
import { SlackAdapter } from '../../adapters/slack/slack-adapter.js';
import { TelegramAdapter } from '../../adapters/telegram/telegram-adapter.js';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { PlatformAdapter } from '../../src/runner/platform-adapter.js';
import { hmacSha256Hex, startFakeSlack, type FakeSlack } from '../fakes/fake-slack-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram-server.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
import { recordingInbox } from '../support/recording-inbox.js';
import { WA } from '../whatsapp/whatsapp-harness.js';

/*
 * The one webhook handler (adapters/shared/webhook-endpoint.ts) as each webhook platform uses it: real adapters on
 * port 0, real HTTP. The 503/500 answers to a recording failure are in each platform's delivery-fault tests
 * (test/telegram, test/whatsapp/whatsapp-adapter.test.ts, test/slack).
 */

const TG_TOKEN = '123456:webhook-status-token';
const TG_SECRET = 'webhook_status_secret';

interface Platform {
  name: string;
  /** Starts the adapter on a recording inbox; returns its URL and how to sign a body as the platform does. */
  start(): Promise<{ url: string; headers(body: string, forged?: boolean): Record<string, string>; good: string; received: () => number }>;
}

let adapter: PlatformAdapter | undefined;
let tg: FakeTelegram | undefined;
let wa: FakeWhatsApp | undefined;
let slack: FakeSlack | undefined;
afterEach(async () => {
  await adapter?.stop();
  await tg?.close();
  await wa?.close();
  await slack?.close();
  adapter = tg = wa = slack = undefined;
});

const SLACK_SECRET = 'webhook-status-signing';

/** Slack's signature over `v0:<timestamp>:<body>`, with a timestamp of now (an old one is refused as stale). */
function slackHeaders(body: string, forged?: boolean): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${hmacSha256Hex(forged ? 'not-the-secret' : SLACK_SECRET, `v0:${timestamp}:${body}`)}` };
}

const platforms: Platform[] = [
  {
    name: 'telegram',
    async start() {
      tg = await startFakeTelegram({ token: TG_TOKEN });
      const telegram = new TelegramAdapter({ token: TG_TOKEN, apiRoot: tg.apiRoot, receive: { kind: 'webhook', url: 'https://bot.example/telegram', port: 0, secret: TG_SECRET }, logger: silentLogger });
      const { sink, received } = recordingInbox();
      await telegram.start(sink);
      adapter = telegram;
      return {
        url: `http://127.0.0.1:${telegram.port}/telegram`,
        headers: (_body, forged) => ({ 'x-telegram-bot-api-secret-token': forged ? 'not-the-secret' : TG_SECRET }),
        good: JSON.stringify(tg.textUpdate({ chatId: 5, userId: 5, text: 'hi' })),
        received: () => received.length,
      };
    },
  },
  {
    name: 'whatsapp',
    async start() {
      wa = await startFakeWhatsApp(WA);
      const whatsapp = new WhatsAppAdapter({ ...WA, apiUrl: wa.graphUrl, port: 0, host: '127.0.0.1', logger: silentLogger });
      const { sink, received } = recordingInbox();
      await whatsapp.start(sink);
      adapter = whatsapp;
      const notification = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: WA.phoneNumberId }, messages: [{ id: 'wamid.status', from: '1555', type: 'text', text: { body: 'hi' } }] } }] }] };
      return {
        url: `http://127.0.0.1:${whatsapp.port}/`,
        headers: (body, forged) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', forged ? 'not-the-secret' : WA.appSecret).update(body).digest('hex')}` }),
        good: JSON.stringify(notification),
        received: () => received.length,
      };
    },
  },
  {
    name: 'slack',
    async start() {
      slack = await startFakeSlack({ botToken: 'xoxb-status', signingSecret: SLACK_SECRET });
      const bot = new SlackAdapter({ token: 'xoxb-status', apiUrl: slack.apiUrl, receive: { kind: 'http', signingSecret: SLACK_SECRET, port: 0 }, logger: silentLogger });
      const { sink, received } = recordingInbox();
      await bot.start(sink);
      adapter = bot;
      return {
        url: `http://127.0.0.1:${bot.port}/slack/events`,
        headers: slackHeaders,
        good: JSON.stringify(slack.directMessage({ channel: 'D0STATUS', user: 'U0ALICE', text: 'hi' })),
        received: () => received.length,
      };
    },
  },
];

/** A POST over node:http, so a body can be streamed without a Content-Length (chunked). */
function post(url: string, body: string, headers: Record<string, string>, { chunked = false } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may close once it has answered 413: what matters is the answer it gave first.
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end(body);
  });
}

describe.each(platforms)('$name webhook', (platform) => {
  it('answers 413 to a body over the limit, 401 unsigned, 400 malformed, 200 once recorded', async () => {
    const { url, headers, good, received } = await platform.start();
    const huge = `{"pad":"${'x'.repeat(MAX_WEBHOOK_BODY_BYTES)}"}`;
    expect(await post(url, huge, headers(huge))).toBe(413);
    expect(await post(url, huge, headers(huge), { chunked: true })).toBe(413);
    expect(await post(url, good, headers(good, true))).toBe(401);
    expect(await post(url, good, {})).toBe(401);
    expect(await post(url, '{"broken": ', headers('{"broken": '))).toBe(400);
    expect(await post(url, '[1, 2]', headers('[1, 2]'))).toBe(400);
    expect(received()).toBe(0);
    expect(await post(url, good, headers(good))).toBe(200);
    expect(received()).toBe(1);
  });
});

describe('the requests around the POSTs', () => {
  it('Telegram: 404 off its path, 405 for GET (it has no handshake)', async () => {
    const { url } = await platforms[0].start();
    expect((await fetch(url.replace('/telegram', '/other'), { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });

  it("WhatsApp: Meta's GET handshake echoes the challenge only with the verify token", async () => {
    const { url } = await platforms[1].start();
    const handshake = (token: string) => fetch(`${url}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=c-42`);
    const ok = await handshake(WA.verifyToken);
    expect([ok.status, await ok.text()]).toEqual([200, 'c-42']);
    expect((await handshake('wrong')).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: '{}' })).status).toBe(405);
  });

  it("Slack: the URL check is answered with its challenge, signed like any request", async () => {
    const { url } = await platforms[2].start();
    const check = JSON.stringify({ type: 'url_verification', challenge: 'c-43', token: 'legacy' });
    const answered = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...slackHeaders(check) }, body: check });
    expect([answered.status, await answered.json()]).toEqual([200, { challenge: 'c-43' }]);
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...slackHeaders(check, true) }, body: check })).status).toBe(401);
  });
});
