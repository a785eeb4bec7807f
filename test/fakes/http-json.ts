import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Small HTTP plumbing shared by the fake platform servers (Telegram, Slack, WhatsApp, …): they all need to read a
 * request body in whatever encoding the real SDK chose, answer JSON, and listen on a free loopback port.
 */

/** Request parameters as a flat record; form and multipart values arrive as strings, JSON keeps its types. */
export type RequestParams = Record<string, unknown>;

export async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readRawBody(req);
  return raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
}

/**
 * Reads the parameters of an API call the way real APIs accept them: query string, then a JSON,
 * urlencoded or multipart body (SDKs switch to multipart when uploading files). Uploaded files are
 * reported as `{ filename, size }` because fakes only need to know that a file was sent.
 */
export async function readRequestParams(req: IncomingMessage): Promise<RequestParams> {
  const params: RequestParams = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams);
  const raw = await readRawBody(req);
  if (raw.length === 0) return params;
  const contentType = req.headers['content-type'] ?? '';
  if (contentType.startsWith('application/json')) {
    const body: unknown = JSON.parse(raw.toString('utf8'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('JSON body must be an object');
    return { ...params, ...(body as RequestParams) };
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) };
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (contentType.startsWith('multipart/form-data') && boundary) {
    return { ...params, ...parseMultipart(raw, boundary[1] ?? boundary[2]) };
  }
  throw new Error(`unsupported content-type: ${contentType || '(none)'}`);
}

function parseMultipart(raw: Buffer, boundary: string): RequestParams {
  const params: RequestParams = {};
  // latin1 maps bytes 1:1 to chars, so file bytes survive the split and text parts can be re-decoded as UTF-8.
  for (const part of raw.toString('latin1').split(`--${boundary}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const body = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    params[name] = filename === undefined ? Buffer.from(body, 'latin1').toString('utf8') : { filename, size: body.length };
  }
  return params;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An empty answer; it must not claim to be JSON, or clients try (and fail) to parse the empty body. */
export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export interface LocalServer {
  server: Server;
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and drops every open connection (keep-alive and long polls included). */
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 with an OS-chosen port, so parallel test files never collide. */
export async function listenOnLoopback(handler: RequestListener): Promise<LocalServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
