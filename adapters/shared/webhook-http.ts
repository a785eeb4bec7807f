import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isStoreUnreachable } from '../../src/errors.js';

/*
 * HTTP plumbing every webhook receiver needs (Telegram's webhook mode, WhatsApp, Slack's HTTP mode): a listening
 * server whose port can be read back (port 0 in tests), a comparison of secrets that does not leak through timing,
 * and the answer to an event that could not be recorded (the one place that asks whether the store is away). The
 * request handling itself is webhook-endpoint.ts.
 */

/** Largest webhook body read; platforms' event payloads are a few KB. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** True when both strings are equal, in time that depends only on their lengths. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface WebhookServer {
  /** The port actually listened on (the chosen one when asked for port 0). */
  readonly port: number;
  /** True from listening until closed (for the adapter's readiness). */
  readonly listening: boolean;
  close(): Promise<void>;
}

export async function listenForWebhooks(handler: RequestListener, port: number, host = '0.0.0.0'): Promise<WebhookServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    get listening() {
      return server.listening;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}

/** How long a platform is asked to wait before resending while the store is away (a restart takes seconds). */
export const STORE_AWAY_RETRY_AFTER_SECONDS = 5;

/**
 * Answers a webhook request whose event could not be recorded, so the platform sends it again: 503 with
 * `Retry-After` while the store is unreachable (a restart, a dropped connection: nothing is wrong with the event),
 * 500 for any other failure. Does nothing once an answer was sent.
 */
export function answerRecordingFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return;
  if (isStoreUnreachable(error)) {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': String(STORE_AWAY_RETRY_AFTER_SECONDS) }).end('store unreachable: try again later');
  } else {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('try again');
  }
}
