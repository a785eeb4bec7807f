import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWebSocketServer } from '../fakes/fake-slack-server.js';

/*
 * Sits between the bots and the fake Discord and redelivers: when a connection becomes ready on a shard that
 * connections before it already served, it gets every MESSAGE_CREATE those connections got, again, the way a
 * shard's events come again when it changes hands or Discord replays them after a resume. (Copies on the same
 * connection would prove nothing: discord.js drops a message it already has in its cache.) REST is passed
 * through, except that `GET /gateway/bot` names the proxy's own gateway.
 */

const GATEWAY_PATH = '/gateway';

export interface RedeliveringProxy {
  /** Pass to the bot as `--api-url`. */
  apiUrl: string;
  /** MESSAGE_CREATEs delivered again so far. */
  redelivered(): number;
  close(): Promise<void>;
}

export async function startRedeliveringProxy(upstreamApiUrl: string): Promise<RedeliveringProxy> {
  let redelivered = 0;
  /** MESSAGE_CREATE frames each shard's connections got, in order. */
  const delivered = new Map<number, string[]>();
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
    let shard = 0;
    let awaitedGuilds = new Set<string>();
    const replay = () => {
      const earlier = delivered.get(shard) ?? [];
      redelivered += earlier.length;
      for (const frame of earlier) client.send(frame);
    };
    upstream.on('open', () => pending.splice(0).forEach((frame) => upstream.send(frame)));
    client.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { op: number; d?: { shard?: [number, number] } };
      if (frame.op === 2) shard = frame.d?.shard?.[0] ?? 0;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString());
      else pending.push(data.toString());
    });
    upstream.on('message', (data) => {
      const frame = data.toString();
      client.send(frame);
      const { t, d } = JSON.parse(frame) as { t?: string; d: { id?: string; guilds?: Array<{ id: string }> } };
      // Replayed once the shard is ready (its guilds loaded), when discord.js handles messages at once.
      if (t === 'READY') {
        awaitedGuilds = new Set((d.guilds ?? []).map((g) => g.id));
        if (awaitedGuilds.size === 0) replay();
      } else if (t === 'GUILD_CREATE' && awaitedGuilds.delete(d.id ?? '') && awaitedGuilds.size === 0) {
        replay();
      } else if (t === 'MESSAGE_CREATE') {
        delivered.set(shard, [...(delivered.get(shard) ?? []), frame]);
      }
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
