import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hmacSha256Hex, postRawJson, RecordedList, type PostedResponse } from './fake-slack-server.js';
import { FailureCues, type FailureCue } from './failure-cues.js';
import { listenOnLoopback, readJsonBody, sendJson } from './http-json.js';

/*
 * A fake WhatsApp Cloud API: the Graph send endpoint an adapter calls, plus senders for what Meta POSTs to the
 * adapter's webhook (signed inbound messages) and the GET verification handshake. Sends fail on cue
 * (`failSends`) with any Graph error. Media added with `addMedia` are served as the Cloud API serves them:
 * `GET /<version>/<media id>` → `{url, mime_type, sha256, file_size, id}`, then `GET url`, both with the bearer token.
 */

export interface FakeWhatsAppOptions {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
}

export interface WhatsAppSentMessage {
  id: string;
  to: string;
  type: string;
  /** `text.body` for text messages. */
  text?: string;
  body: Record<string, unknown>;
}

export interface InboundTextInput {
  /** The sender's wa_id (phone number, digits only). */
  from: string;
  text: string;
  name?: string;
  messageId?: string;
}

/** A Graph error as the Cloud API answers it: HTTP `status`, body `{error:{message, type, code, error_subcode?}}`. */
export interface GraphErrorAnswer {
  status: number;
  code: number;
  subcode?: number;
  message: string;
}

export interface FakeWhatsApp {
  /** `http://127.0.0.1:P/v21.0`: messages go to `${graphUrl}/${phoneNumberId}/messages`. */
  graphUrl: string;
  sent: RecordedList<WhatsAppSentMessage>;
  sentTo(waId: string): WhatsAppSentMessage[];
  /**
   * Makes the next `times` (default 1) sends (to the wa_id `chatId`, when given) answer `error`, e.g.
   * `failSends({ error: { status: 400, code: 131047, message: 'Re-engagement message' } })`.
   */
  failSends(cue: Omit<FailureCue<GraphErrorAnswer>, 'method'>): void;
  /** POSTs a signed inbound text message to the adapter's webhook, as Meta does; returns the payload's message id too. */
  postInbound(webhookUrl: string, input: InboundTextInput, options?: { badSignature?: boolean }): Promise<PostedResponse & { messageId: string }>;
  /** POSTs `rawBody` as it is, signed as Meta signs (for notifications `postInbound` does not build). */
  postSigned(webhookUrl: string, rawBody: string, options?: { badSignature?: boolean }): Promise<PostedResponse>;
  /** Makes `bytes` fetchable as the media `id` (default a new one); returns the id. */
  addMedia(bytes: Buffer, options: { mimeType: string; id?: string }): string;
  /** Media ids looked up (`GET /<media id>`), in order. */
  readonly mediaLookups: readonly string[];
  /** Media ids whose bytes were downloaded (`GET url`), in order. */
  readonly mediaDownloads: readonly string[];
  /** The GET `hub.mode=subscribe` handshake Meta performs when the webhook is registered. */
  verify(webhookUrl: string, verifyToken: string, challenge: string): Promise<PostedResponse>;
  close(): Promise<void>;
}

const GRAPH_VERSION = 'v21.0';
const BUSINESS_ACCOUNT_ID = '100000000000001';

const graphError = (res: ServerResponse, status: number, code: number, message: string, subcode?: number) =>
  sendJson(res, status, {
    error: { message, type: code === 190 ? 'OAuthException' : 'GraphMethodException', code, ...(subcode !== undefined && { error_subcode: subcode }), fbtrace_id: 'fake' },
  });
/** The one method the fake serves, as failure cues name it. */
const SEND = 'messages';

const newMessageId = (): string => `wamid.${randomBytes(12).toString('hex')}`;

export async function startFakeWhatsApp(options: FakeWhatsAppOptions): Promise<FakeWhatsApp> {
  const sent = new RecordedList<WhatsAppSentMessage>();
  const failures = new FailureCues<GraphErrorAnswer>();
  const media = new Map<string, { bytes: Buffer; mimeType: string }>();
  const mediaLookups: string[] = [];
  const mediaDownloads: string[] = [];
  let mediaCount = 0;

  const handleSend = async (req: IncomingMessage, res: ServerResponse, phoneNumberId: string): Promise<void> => {
    if (req.headers.authorization !== `Bearer ${options.accessToken}`) {
      return graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    if (phoneNumberId !== options.phoneNumberId) {
      return graphError(res, 400, 100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`);
    }
    const body = (await readJsonBody(req)) as Record<string, unknown> | undefined;
    const to = body?.to;
    const type = body?.type ?? 'text';
    const text = (body?.text as { body?: unknown } | undefined)?.body;
    if (body?.messaging_product !== 'whatsapp') return graphError(res, 400, 100, 'The parameter messaging_product is required.');
    if (typeof to !== 'string' || to === '') return graphError(res, 400, 100, 'The parameter to is required.');
    if (type === 'text' && typeof text !== 'string') return graphError(res, 400, 100, 'The parameter text[body] is required.');
    const cued = failures.take(SEND, to);
    if (cued) return graphError(res, cued.status, cued.code, cued.message, cued.subcode);
    const id = newMessageId();
    sent.record({ id, to, type: String(type), text: typeof text === 'string' ? text : undefined, body });
    sendJson(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id }] });
  };

  const handleMedia = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const download = /^\/media-download\/([^/]+)$/.exec(path)?.[1];
    const lookup = download ? undefined : /^(?:\/v\d+\.\d+)?\/(\d+)$/.exec(path)?.[1];
    if (req.method !== 'GET' || (!download && !lookup)) return false;
    if (req.headers.authorization !== `Bearer ${options.accessToken}`) {
      graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
      return true;
    }
    const id = decodeURIComponent((download ?? lookup)!);
    const known = media.get(id);
    if (!known) {
      graphError(res, 400, 100, `Unsupported get request. Object with ID '${id}' does not exist`, 33);
      return true;
    }
    if (download) {
      mediaDownloads.push(id);
      res.writeHead(200, { 'content-type': known.mimeType, 'content-length': known.bytes.length });
      res.end(known.bytes);
    } else {
      mediaLookups.push(id);
      sendJson(res, 200, {
        messaging_product: 'whatsapp',
        url: `${http.url}/media-download/${encodeURIComponent(id)}`,
        mime_type: known.mimeType,
        sha256: createHash('sha256').update(known.bytes).digest('hex'),
        file_size: known.bytes.length,
        id,
      });
    }
    return true;
  };

  const http = await listenOnLoopback((req, res) => {
    if (handleMedia(req, res, new URL(req.url ?? '/', 'http://fake').pathname)) return;
    // Graph accepts calls with or without the version prefix.
    const phoneNumberId = /^(?:\/v\d+\.\d+)?\/([^/]+)\/messages$/.exec(new URL(req.url ?? '/', 'http://fake').pathname)?.[1];
    if (req.method !== 'POST' || !phoneNumberId) return graphError(res, 400, 100, `Unknown path components: ${req.url}`);
    handleSend(req, res, phoneNumberId).catch((err: unknown) => graphError(res, 400, 100, `Invalid request body: ${String(err)}`));
  });

  const fake: FakeWhatsApp = {
    graphUrl: `${http.url}/${GRAPH_VERSION}`,
    sent,
    sentTo: (waId) => sent.filter((message) => message.to === waId),
    failSends: (cue) => failures.add({ ...cue, method: SEND }),
    async postInbound(webhookUrl, { from, text, name, messageId = newMessageId() }, postOptions = {}) {
      const payload = {
        object: 'whatsapp_business_account',
        entry: [{
          id: BUSINESS_ACCOUNT_ID,
          changes: [{
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: options.phoneNumberId },
              contacts: [{ profile: { name: name ?? from }, wa_id: from }],
              messages: [{ from, id: messageId, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
            },
          }],
        }],
      };
      return { ...(await fake.postSigned(webhookUrl, JSON.stringify(payload), postOptions)), messageId };
    },
    addMedia(bytes, mediaOptions) {
      const id = mediaOptions.id ?? String(900_000_000_000_000 + ++mediaCount);
      media.set(id, { bytes, mimeType: mediaOptions.mimeType });
      return id;
    },
    get mediaLookups() {
      return mediaLookups;
    },
    get mediaDownloads() {
      return mediaDownloads;
    },
    postSigned(webhookUrl, rawBody, postOptions = {}) {
      const secret = postOptions.badSignature ? `not-${options.appSecret}` : options.appSecret;
      return postRawJson(webhookUrl, rawBody, { 'x-hub-signature-256': `sha256=${hmacSha256Hex(secret, rawBody)}` });
    },
    async verify(webhookUrl, verifyToken, challenge) {
      const url = new URL(webhookUrl);
      url.searchParams.set('hub.mode', 'subscribe');
      url.searchParams.set('hub.verify_token', verifyToken);
      url.searchParams.set('hub.challenge', challenge);
      const response = await fetch(url);
      return { status: response.status, body: await response.text() };
    },
    close: () => http.close(),
  };
  return fake;
}
