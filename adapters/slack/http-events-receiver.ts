import type { IncomingHttpHeaders } from 'node:http';
import { isValidSlackRequest, UnknownError, type App, type Receiver } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import { MalformedPayloadError, webhookHandler, type WebhookAnswer } from '../shared/webhook-endpoint.js';
import { listenForWebhooks, type WebhookServer } from '../shared/webhook-http.js';

/** What Slack POSTs to `/slack/events`, with its redelivery headers. */
interface SlackDelivery {
  body: Record<string, unknown>;
  retryNum?: number;
  retryReason?: string;
}

/**
 * Slack's HTTP mode on the shared webhook handler (adapters/shared/webhook-endpoint.ts) instead of Bolt's
 * HTTPReceiver: Slack's signature and age check (Bolt's own `isValidSlackRequest`) → 401, its two body forms (JSON
 * events, form-encoded slash commands) → 400 when neither, and the event answered only once Bolt's listeners have
 * run, i.e. once it is recorded: 200 with what a listener acknowledged with (a slash command's reply), else 503 or 500
 * and Slack delivers it again.
 */
export class HttpEventsReceiver implements Receiver {
  private app?: App;
  private server?: WebhookServer;

  constructor(private readonly options: { signingSecret: string; logger: Logger }) {}

  init(app: App): void {
    this.app = app;
  }

  async start(port: number): Promise<WebhookServer> {
    this.server = await listenForWebhooks(
      webhookHandler<SlackDelivery>({
        what: 'a Slack event',
        path: '/slack/events',
        verify: (headers, body) =>
          isValidSlackRequest({
            signingSecret: this.options.signingSecret,
            body: body.toString('utf8'),
            headers: { 'x-slack-signature': String(headers['x-slack-signature'] ?? ''), 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
          }),
        decode: decodeSlackBody,
        parse: (decoded) => decoded as SlackDelivery,
        record: (delivery) => this.dispatch(delivery),
        logger: this.options.logger,
      }),
      port,
    );
    return this.server;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  private async dispatch({ body, retryNum, retryReason }: SlackDelivery): Promise<WebhookAnswer | void> {
    // Slack checks the URL before sending anything to it, and now and then that its certificate is in place.
    if (body.type === 'url_verification') return { contentType: 'application/json', body: JSON.stringify({ challenge: body.challenge }) };
    if (body.ssl_check) return;
    let response: unknown;
    const keep = async (answer?: unknown) => {
      response ??= answer;
    };
    try {
      await this.app!.processEvent({ body, ack: keep, retryNum, retryReason });
    } catch (error) {
      // Bolt wraps errors without a `code` of their own; the store's error is the one the answer depends on.
      throw error instanceof UnknownError ? error.original : error;
    }
    if (response === undefined) return;
    return typeof response === 'string' ? { contentType: 'text/plain', body: response } : { contentType: 'application/json', body: JSON.stringify(response) };
  }
}

/** Events come as JSON; slash commands and interactions form-encoded (an interaction's `payload` field is JSON). */
function decodeSlackBody(raw: Buffer, headers: IncomingHttpHeaders): SlackDelivery {
  const text = raw.toString('utf8');
  let body: unknown;
  if (String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(text));
    body = typeof form.payload === 'string' ? JSON.parse(form.payload) : form;
  } else body = JSON.parse(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MalformedPayloadError('not a Slack event or command');
  const retryNum = Number(headers['x-slack-retry-num']);
  const retryReason = headers['x-slack-retry-reason'];
  return {
    body: body as Record<string, unknown>,
    ...(Number.isInteger(retryNum) ? { retryNum } : {}),
    ...(typeof retryReason === 'string' ? { retryReason } : {}),
  };
}
