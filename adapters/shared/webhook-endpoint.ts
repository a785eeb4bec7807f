import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.js';
import { answerRecordingFailure, MAX_WEBHOOK_BODY_BYTES } from './webhook-http.js';

/*
 * The one request handler of every webhook platform (Telegram's webhook mode, WhatsApp, Slack's HTTP mode): each platform gives only
 * how a request proves it comes from the platform, how its JSON becomes the platform's payload, and how a payload is
 * recorded. The status codes are the platforms' retry contract: 2xx only once the event is durable, 5xx to have it
 * sent again, 4xx for a request that will never be good (resending it would not help).
 */

/** A body that is JSON but not the platform's payload: answered 400, never retried into the inbox. */
export class MalformedPayloadError extends Error {}

/** What a 200 carries when the platform reads the answer (Slack's slash command reply, its URL challenge). */
export interface WebhookAnswer {
  contentType: string;
  body: string;
}

export interface WebhookEndpoint<Payload> {
  /** Which platform's events, for the log ("could not record a Telegram update"). */
  what: string;
  /** Only this path is served (404 elsewhere); undefined: any path. */
  path?: string;
  /** Largest body accepted; a bigger one is answered 413. */
  maxBodyBytes?: number;
  /** The request comes from the platform (its secret header, its signature over the raw body); false → 401. */
  verify(headers: IncomingHttpHeaders, body: Buffer): boolean;
  /** The body as data (default: JSON); throws SyntaxError or MalformedPayloadError → 400. */
  decode?(body: Buffer, headers: IncomingHttpHeaders): unknown;
  /** The platform's payload from the decoded body; throws MalformedPayloadError → 400. */
  parse(decoded: unknown): Payload;
  /** Resolves once the payload is durable (→ 200, with its answer if any); a failure is 503 while the store is away, else 500. */
  record(payload: Payload): Promise<WebhookAnswer | void>;
  /** GET requests, such as Meta's subscription handshake; without it GET is 405 like any other method. */
  answerGet?(query: URLSearchParams): { status: number; text: string };
  logger: Logger;
}

export function webhookHandler<Payload>(endpoint: WebhookEndpoint<Payload>): RequestListener {
  return (req, res) => {
    handle(endpoint, req, res).catch((error: unknown) => {
      endpoint.logger.error({ err: error }, `could not record ${endpoint.what}`);
      answerRecordingFailure(res, error);
    });
  };
}

async function handle<Payload>(endpoint: WebhookEndpoint<Payload>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://webhook');
  if (endpoint.path !== undefined && url.pathname !== endpoint.path) return reply(res, 404, 'not found');
  if (req.method === 'GET' && endpoint.answerGet) {
    const answer = endpoint.answerGet(url.searchParams);
    return reply(res, answer.status, answer.text);
  }
  if (req.method !== 'POST') return reply(res, 405, 'method not allowed');
  const body = await readBody(req, res, endpoint.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES);
  if (!body) return;
  if (!endpoint.verify(req.headers, body)) return reply(res, 401, 'not signed by the platform');
  let payload: Payload;
  try {
    payload = endpoint.parse(endpoint.decode ? endpoint.decode(body, req.headers) : JSON.parse(body.toString('utf8')));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof MalformedPayloadError) return reply(res, 400, `malformed payload: ${error.message}`);
    throw error;
  }
  const answer = await endpoint.record(payload);
  if (answer) res.writeHead(200, { 'content-type': answer.contentType }).end(answer.body);
  else reply(res, 200, 'ok');
}

/**
 * The raw body (signatures cover the exact bytes), or undefined once a body over `limit` was answered 413. The
 * answer goes out before the connection is closed, so the sender sees why; a declared Content-Length over the limit
 * is answered without reading a byte of it.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  const tooLarge = () => {
    res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`body larger than ${limit} bytes`, () => req.destroy());
  };
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    tooLarge();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      // Drained, not kept: the rest of the body must not be taken for the next request on the connection.
      req.resume();
      tooLarge();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
