import { createHmac } from 'node:crypto';
import type { Logger } from '../../src/log.js';
import type { Attachment, DeliveryFault, InboundSink, PlatformAdapter, ReplyTarget, SendLimit, SendScope } from '../../src/runner/platform-adapter.js';
import { refuseUnusable } from '../shared/unusable-event.js';
import { webhookHandler } from '../shared/webhook-endpoint.js';
import { constantTimeEqual, listenForWebhooks, type WebhookServer } from '../shared/webhook-http.js';
import { classifyWhatsAppError } from './classify-error.js';
import { WhatsAppGraphClient } from './graph-client.js';
import { normalizeWebhook, type NormalizedWebhook } from './normalize-webhook.js';

/** WhatsApp's limit for one text message body. */
export const WHATSAPP_TEXT_LIMIT = 4096;

/**
 * The Cloud API's throughput of a business number (80 messages a second by default) and its pair rate (about one
 * message every 6 seconds to one user; short bursts pass). `--send-limit number=…|recipient=…`.
 */
export const WHATSAPP_SEND_LIMITS: Readonly<Record<'number' | 'recipient', SendLimit>> = {
  number: { ratePerSec: 80, burst: 80 },
  recipient: { ratePerSec: 1 / 6, burst: 10 },
};

export interface WhatsAppAdapterOptions {
  accessToken: string;
  phoneNumberId: string;
  /** Chosen by you when registering the webhook in the Meta app; Meta echoes it in the GET handshake. */
  verifyToken: string;
  /** The Meta app's secret: inbound POSTs are signed with it. */
  appSecret: string;
  /** Graph API base (default Meta's). */
  apiUrl?: string;
  port: number;
  host?: string;
  logger: Logger;
}

/**
 * WhatsApp Cloud API: Meta POSTs signed notifications to this webhook; replies go out through the Graph API.
 * Any number of workers can sit behind a load balancer: each checks the signature, records the messages in the
 * shared inbox (redeliveries are de-duplicated by message id) and only then answers 200, so a message that could
 * not be recorded gets a 5xx and Meta delivers it again.
 *
 * A sent WhatsApp message cannot be edited, so this adapter does not stream: `canEdit` is false and each reply
 * (each part of a long one) is sent once, complete.
 */
export class WhatsAppAdapter implements PlatformAdapter {
  readonly platform = 'whatsapp';
  readonly textLimit = WHATSAPP_TEXT_LIMIT;
  readonly canEdit = false;
  readonly sendLimits = WHATSAPP_SEND_LIMITS;
  /** The business phone number id: sessions are `whatsapp:<phone number id>:…`, the runner's queue `whatsapp:<phone number id>`. */
  readonly botId: string;
  private readonly graph: WhatsAppGraphClient;
  private server?: WebhookServer;

  constructor(private readonly options: WhatsAppAdapterOptions) {
    this.botId = options.phoneNumberId;
    this.graph = new WhatsAppGraphClient(options);
  }

  async start(inbox: InboundSink): Promise<void> {
    this.server = await listenForWebhooks(
      webhookHandler<NormalizedWebhook>({
        what: 'a WhatsApp notification',
        verify: (headers, body) => this.signatureMatches(body, headers['x-hub-signature-256']),
        parse: (json) => normalizeWebhook(json, this.options.phoneNumberId),
        record: (notification) => this.record(notification, inbox),
        answerGet: (query) => this.answerVerification(query),
        logger: this.options.logger,
      }),
      this.options.port,
      this.options.host,
    );
    this.options.logger.info({ port: this.server.port, phoneNumberId: this.options.phoneNumberId }, 'receiving WhatsApp webhooks');
  }

  /** The webhook server's port (useful with port 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Ready while the webhook server listens. */
  readiness(): string | undefined {
    return this.server?.listening ? undefined : 'the webhook server is not listening';
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  async send(target: ReplyTarget, text: string): Promise<string> {
    return this.graph.sendText(target.chatId, text);
  }

  /** The media the message named (its WhatsApp media id): looked up, then downloaded, both with the access token. */
  async fetchAttachment(attachment: Attachment, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }> {
    if (!attachment.platformFileId) throw new Error(`the ${attachment.kind} has no WhatsApp media id`);
    const got = await this.graph.fetchMedia(attachment.platformFileId, options);
    const mimeType = got.mimeType ?? attachment.mimeType;
    return { bytes: got.bytes, ...(mimeType ? { mimeType } : {}) };
  }

  classifyError(error: unknown): DeliveryFault {
    return classifyWhatsAppError(error);
  }

  /** The business number's throughput, then the pair rate of this number and the user. */
  sendScopes(target: ReplyTarget): SendScope[] {
    const number = `whatsapp:${this.botId}`;
    return [{ limit: 'number', key: number }, { limit: 'recipient', key: `${number}:to:${target.chatId}` }];
  }

  /** The Cloud API has no edit; the runner never calls this on an adapter with `canEdit` false. */
  async edit(): Promise<void> {
    throw new Error('WhatsApp cannot edit a sent message (the adapter has canEdit: false)');
  }

  /** The Cloud API has no free-standing "typing…" (only tied to marking a message read): nothing to show. */
  async typing(): Promise<void> {}

  private async record(notification: NormalizedWebhook, inbox: InboundSink): Promise<void> {
    const source = { platform: this.platform, botId: this.options.phoneNumberId };
    for (const unusable of notification.unusable) await refuseUnusable(inbox, source, unusable);
    // In order, so two messages of one user in one notification are recorded (and answered) in the order sent.
    for (const message of notification.messages) await inbox.receive(message);
    // A reply WhatsApp accepted (200 on send) and then could not deliver: the only trace of it is this status.
    for (const { messageId, code, title, ...details } of notification.failed) {
      const reason = [code, title].filter((part) => part !== undefined).join(' ') || 'no reason given';
      await inbox.undelivered({ messageId, reason, details: { ...details, ...(code === undefined ? {} : { code }) } });
    }
  }

  /** Meta's subscription handshake: echo the challenge only to someone who knows the verify token. */
  private answerVerification(query: URLSearchParams): { status: number; text: string } {
    const ok = query.get('hub.mode') === 'subscribe' && constantTimeEqual(query.get('hub.verify_token') ?? '', this.options.verifyToken);
    return ok ? { status: 200, text: query.get('hub.challenge') ?? '' } : { status: 403, text: 'verification failed' };
  }

  /** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`. */
  private signatureMatches(raw: Buffer, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const expected = `sha256=${createHmac('sha256', this.options.appSecret).update(raw).digest('hex')}`;
    return constantTimeEqual(header, expected);
  }
}
