import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/*
 * HTTP plumbing every webhook receiver needs (Telegram's webhook mode, WhatsApp): a listening
 * server whose port can be read back (port 0 in tests), a raw body read with a size cap (signatures cover the raw
 * bytes), and a comparison of secrets that does not leak through timing.
 */

/** Largest webhook body read; platforms' event payloads are a few KB. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** The body exactly as sent; rejects with BodyTooLargeError past `limit` bytes. */
export function readRawBody(req: IncomingMessage, limit = MAX_WEBHOOK_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(limit));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** True when both strings are equal, in time that depends only on their lengths. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface WebhookServer {
  /** The port actually listened on (the chosen one when asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function listenForWebhooks(handler: RequestListener, port: number, host = '0.0.0.0'): Promise<WebhookServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}
