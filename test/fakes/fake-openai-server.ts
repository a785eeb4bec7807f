/**
 * A fake OpenAI Chat Completions endpoint on 127.0.0.1 for tests: real SDK clients (in the test process or in
 * child processes) talk to it over HTTP. It answers from a replaceable handler and records every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunkEvenly } from '../../src/core/llm/chunk-evenly.js';

/** A chat completion request body as the client sent it. */
export interface FakeChatRequest {
  model: string;
  messages: Array<{ role: string; content: unknown; name?: string; tool_calls?: unknown[]; tool_call_id?: string }>;
  stream?: boolean;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  [field: string]: unknown;
}

export interface FakeReply {
  content?: string;
  toolCalls?: Array<{ name: string; arguments: string }>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer this HTTP status with an OpenAI-style error body instead. */
  status?: number;
  /** The error body's message when `status` is set. */
  errorMessage?: string;
  /** Never answer (until `close()`). */
  hang?: boolean;
  /** Streaming only: send the content deltas, then stall without finishing the answer. */
  stallMidStream?: boolean;
}

export type FakeHandler = (request: FakeChatRequest) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  /** Parsed chat completion request bodies, in arrival order. */
  requests: FakeChatRequest[];
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

export const FAKE_MODEL_ID = 'fake-model';

/** Answers `reply to: <last user message> (saw N messages)`, so a test can check what context the model got. */
export const defaultHandler: FakeHandler = (request) => {
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  return { content: `reply to: ${lastUser ? String(lastUser.content) : '(none)'} (saw ${request.messages.length} messages)` };
};

export async function startFakeOpenAI(options: { handler?: FakeHandler } = {}): Promise<FakeOpenAI> {
  let handler = options.handler ?? defaultHandler;
  const requests: FakeChatRequest[] = [];
  let completionCount = 0;

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake server failed: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: FAKE_MODEL_ID, object: 'model', created: 0, owned_by: 'threadline-tests' }] });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, 404, `no route ${req.method} ${path} on the fake OpenAI server`);
      return;
    }
    const request = JSON.parse(await readBody(req)) as FakeChatRequest;
    requests.push(request);
    const reply = await handler(request);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.hang) return; // close() destroys the socket
    if (reply.status) {
      sendError(res, reply.status, reply.errorMessage ?? `fake failure with status ${reply.status}`);
      return;
    }
    const id = `chatcmpl-fake-${++completionCount}`;
    if (request.stream) streamReply(res, id, request.model, reply);
    else sendJson(res, 200, completion(id, request.model, reply));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    setHandler(next) {
      handler = next;
    },
    close() {
      // Hung and keep-alive connections would otherwise keep `close` waiting.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string): void {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

function toolCallId(index: number): string {
  return `call_fake_${index}`;
}

function finishReason(reply: FakeReply): 'tool_calls' | 'stop' {
  return reply.toolCalls?.length ? 'tool_calls' : 'stop';
}

function completion(id: string, model: string, reply: FakeReply) {
  const toolCalls = reply.toolCalls?.map((call, index) => ({ id: toolCallId(index), type: 'function', function: call }));
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content ?? null, refusal: null, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason(reply),
      },
    ],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** Server-sent events the way OpenAI sends them: role first, content in word-sized deltas, each call's arguments in fragments. */
function streamReply(res: ServerResponse, id: string, model: string, reply: FakeReply): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const created = Math.floor(Date.now() / 1000);
  const send = (delta: Record<string, unknown>, finish: string | null = null) => {
    const chunk = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  send({ role: 'assistant', content: '', refusal: null });
  for (const word of (reply.content ?? '').match(/\S+\s*|\s+/g) ?? []) send({ content: word });
  if (reply.stallMidStream) return; // close() destroys the socket
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    send({ tool_calls: [{ index, id: toolCallId(index), type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const fragment of chunkEvenly(call.arguments, 3)) send({ tool_calls: [{ index, function: { arguments: fragment } }] });
  }
  send({}, finishReason(reply));
  res.end('data: [DONE]\n\n');
}
