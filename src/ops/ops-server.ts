import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { ThreadlineError } from '../store/errors.js';

export const DEFAULT_OPS_HOST = '127.0.0.1';

/** The ops server could not listen (port taken, address not on this host). */
export class OpsServerStartError extends ThreadlineError {}

export interface OpsServer {
  readonly host: string;
  /** The port listened on (the one chosen when asked for 0). */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Stops listening and ends idle keep-alive connections; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Serves `app` over HTTP on `host:port` (port 0: any free one); resolves once listening. */
export async function startOpsServer(app: Hono, options: { port: number; host?: string }): Promise<OpsServer> {
  const host = options.host ?? DEFAULT_OPS_HOST;
  // Node's own Request/Response stay global: the rest of the process (the model's client, SDKs) uses them.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(new OpsServerStartError(`could not serve the ops endpoints on ${host}:${options.port}: ${error.code ?? error.message} (choose another --ops-port or --ops-host)`, { cause: error }));
    server.once('error', failed).listen(options.port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold close() open until it times out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
