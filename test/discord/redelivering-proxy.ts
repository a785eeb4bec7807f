import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWebSocketServer } from '../fakes/fake-slack-server.js';

/*
 * Sits between a bot and the fake Discord and delivers every MESSAGE_CREATE three times: twice right away and
 * once more a little later, the way events come again when Discord replays them after a resume or while a shard
 * changes hands. REST is passed through, except that `GET /gateway/bot` names the proxy's own gateway.
 */

const GATEWAY_PATH = '/gateway';
/** The second copy comes while the first one's turn is probably running: de-duplication must not depend on timing. */
const LATE_COPY_DELAY_MS = 150;

export interface RedeliveringProxy {
  /** Pass to the bot as `--api-url`. */
  apiUrl: string;
  /** MESSAGE_CREATEs passed on (each with its copies) so far. */
  redelivered(): number;
  close(): Promise<void>;
}

export async function startRedeliveringProxy(upstreamApiUrl: string): Promise<RedeliveringProxy> {
  let redelivered = 0;
  let upstreamGateway = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const path = (req.url ?? '/').replace(/^\/api/, '');
      const response = await fetch(`${upstreamApiUrl}${path}`, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      let body = Buffer.from(await response.arrayBuffer());
      if (path.startsWith('/v10/gateway/bot') && response.ok) {
        const info = JSON.parse(body.toString()) as { url: string };
        upstreamGateway = info.url;
        body = Buffer.from(JSON.stringify({ ...info, url: `ws://127.0.0.1:${port()}${GATEWAY_PATH}` }));
      }
      const contentType = response.headers.get('content-type');
      res.writeHead(response.status, contentType ? { 'content-type': contentType } : {}).end(body);
    })().catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;

  const gateway = new WebSocketServer({ server, path: GATEWAY_PATH });
  gateway.on('connection', (client, req) => {
    const query = new URL(req.url ?? '/', 'http://proxy').search;
    const upstream = new WebSocket(`${upstreamGateway}${query}`);
    const pending: string[] = [];
    upstream.on('open', () => pending.splice(0).forEach((frame) => upstream.send(frame)));
    client.on('message', (data) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data.toString()) : pending.push(data.toString())));
    upstream.on('message', (data) => {
      const frame = data.toString();
      client.send(frame);
      if ((JSON.parse(frame) as { t?: string }).t !== 'MESSAGE_CREATE') return;
      redelivered++;
      client.send(frame);
      setTimeout(() => client.readyState === WebSocket.OPEN && client.send(frame), LATE_COPY_DELAY_MS);
    });
    // 1005/1006 only describe a close, they cannot be sent: pass those on as a normal close.
    const sendable = (code: number) => (code === 1000 || (code >= 3000 && code < 5000) ? code : 1000);
    upstream.on('close', (code, reason) => client.readyState === WebSocket.OPEN && client.close(sendable(code), reason.toString()));
    client.on('close', () => upstream.close());
    upstream.on('error', () => client.terminate());
    client.on('error', () => upstream.terminate());
  });

  return {
    apiUrl: `http://127.0.0.1:${port()}/api`,
    redelivered: () => redelivered,
    async close() {
      await closeWebSocketServer(gateway);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
