/**
 * A fake OpenAI Chat Completions endpoint on 127.0.0.1 for tests: real SDK clients (in the test process or in
 * child processes) talk to it over HTTP. It answers from a replaceable handler and records every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunkEvenly } from '../../src/core/llm/chunk-evenly.js';
import { readRequestParams } from './http-json.js';

/** A `POST /v1/audio/transcriptions` as the client sent it (multipart: `file`, `model`). */
export interface FakeTranscriptionRequest {
  model: string;
  fileName: string;
  /** Bytes of the uploaded file. */
  size: number;
}

/** What a transcription answers: `{text}`, or an OpenAI-style error with `status`. */
export type FakeTranscriptionHandler = (request: FakeTranscriptionRequest) => { text?: string; status?: number };

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
  /** Streaming only: wait this long before each content chunk (a slow model, for tests that act mid-stream). */
  chunkDelayMs?: number;
  /** Answer this HTTP status with an OpenAI-style error body instead. */
  status?: number;
  /** The error body's message when `status` is set. */
  errorMessage?: string;
  /** The error body's `code` when `status` is set (OpenAI's, e.g. `context_length_exceeded`). */
  errorCode?: string;
  /** Never answer (until `close()`). */
  hang?: boolean;
  /** Streaming only: send the content deltas, then stall without finishing the answer. */
  stallMidStream?: boolean;
  /** With `stallMidStream`: while stalled, send an SSE comment this often, as keep-alive proxies do (it carries no chunk). */
  keepAliveEveryMs?: number;
  /** Streaming only: send the content deltas, then end the HTTP response cleanly without a finish chunk and without [DONE]. */
  truncate?: boolean;
  /** Streaming only: send the content deltas, then destroy the socket (the body ends mid-transfer). */
  resetMidStream?: boolean;
  /** Answer 200 with a body that is not an SSE stream (an HTML error page, as a misconfigured proxy sends). */
  garbage?: boolean;
  /** Finish with reason `stop` and no content or tool calls, whatever the other fields say. */
  empty?: boolean;
  /** The finish reason instead of `stop` / `tool_calls`; `null` streams a last chunk without one (then [DONE]). */
  finishReason?: string | null;
  /** A refusal message, as OpenAI declines structured requests (streamed as `delta.refusal`). */
  refusal?: string;
  /** With `status`: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
}

export type FakeHandler = (request: FakeChatRequest) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  /** Parsed chat completion request bodies, in arrival order. */
  requests: FakeChatRequest[];
  setHandler(handler: FakeHandler): void;
  /** Transcription requests, in arrival order. */
  transcriptions: FakeTranscriptionRequest[];
  /** Default: `transcript of <file name> (<size> bytes)`. */
  setTranscriptionHandler(handler: FakeTranscriptionHandler): void;
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
  const transcriptions: FakeTranscriptionRequest[] = [];
  let transcribe: FakeTranscriptionHandler = (t) => ({ text: `transcript of ${t.fileName} (${t.size} bytes)` });
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
    if (req.method === 'POST' && path === '/v1/audio/transcriptions') {
      const params = await readRequestParams(req);
      const file = params.file as { filename?: string; size?: number } | undefined;
      if (!file || typeof params.model !== 'string') return sendError(res, 400, 'a transcription needs a file and a model (multipart)');
      const request = { model: params.model, fileName: file.filename ?? '', size: file.size ?? 0 };
      transcriptions.push(request);
      const answer = transcribe(request);
      if (answer.status) return sendError(res, answer.status, `fake transcription failure with status ${answer.status}`);
      return sendJson(res, 200, { text: answer.text ?? '' });
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
      const headers: Record<string, string> = reply.retryAfterSeconds === undefined ? {} : { 'retry-after': String(reply.retryAfterSeconds) };
      sendError(res, reply.status, reply.errorMessage ?? `fake failure with status ${reply.status}`, reply.errorCode, headers);
      return;
    }
    if (reply.garbage) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Welcome to nginx!</h1></body></html>\n');
      return;
    }
    const id = `chatcmpl-fake-${++completionCount}`;
    if (request.stream) await streamReply(res, id, request.model, reply);
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
    transcriptions,
    setTranscriptionHandler(next) {
      transcribe = next;
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, code: string | null = null, headers: Record<string, string> = {}): void {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function toolCallId(index: number): string {
  return `call_fake_${index}`;
}

function finishReason(reply: FakeReply): string | null {
  if (reply.finishReason !== undefined) return reply.finishReason;
  return reply.toolCalls?.length ? 'tool_calls' : 'stop';
}

/** What `empty` leaves of a reply. */
function answered(reply: FakeReply): FakeReply {
  return reply.empty ? { ...reply, content: undefined, toolCalls: undefined, finishReason: 'stop' } : reply;
}

function completion(id: string, model: string, fullReply: FakeReply) {
  const reply = answered(fullReply);
  const toolCalls = reply.toolCalls?.map((call, index) => ({ id: toolCallId(index), type: 'function', function: call }));
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content ?? null, refusal: reply.refusal ?? null, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason(reply),
      },
    ],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

function words(text: string | undefined): string[] {
  return text?.match(/\S+\s*|\s+/g) ?? [];
}

/** Server-sent events the way OpenAI sends them: role first, content in word-sized deltas, each call's arguments in fragments. */
async function streamReply(res: ServerResponse, id: string, model: string, fullReply: FakeReply): Promise<void> {
  const reply = answered(fullReply);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const created = Math.floor(Date.now() / 1000);
  const send = (delta: Record<string, unknown>, finish: string | null = null) => {
    const chunk = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  send({ role: 'assistant', content: '', refusal: null });
  for (const word of words(reply.content)) {
    if (reply.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, reply.chunkDelayMs));
    if (res.destroyed) return;
    send({ content: word });
  }
  for (const word of words(reply.refusal)) send({ refusal: word });
  if (reply.stallMidStream) {
    // close() destroys the socket
    if (reply.keepAliveEveryMs) {
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), reply.keepAliveEveryMs);
      res.on('close', () => clearInterval(keepAlive));
    }
    return;
  }
  if (reply.truncate) {
    res.end();
    return;
  }
  if (reply.resetMidStream) {
    // After the deltas are written, so the client sees them before the body breaks off.
    res.socket?.destroySoon();
    return;
  }
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    send({ tool_calls: [{ index, id: toolCallId(index), type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const fragment of chunkEvenly(call.arguments, 3)) send({ tool_calls: [{ index, function: { arguments: fragment } }] });
  }
  send({}, finishReason(reply));
  res.end('data: [DONE]\n\n');
}
