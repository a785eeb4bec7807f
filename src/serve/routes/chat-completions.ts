import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError, openAiErrorBody } from '../api-error.js';
import { AppendOnlyText } from '../append-only-text.js';
import { assertSessionAccess, type ServeEnv } from '../auth.js';
import { ChatCompletion, ChatCompletionRequest, OpenAiErrorBody } from '../schemas.js';
import type { ServeDeps } from '../serve-deps.js';
import { submitTurn } from '../submit-turn.js';
import { followToEnd, followTurn, turnEndError, turnIdOf } from '../turn-follower.js';

const DESCRIPTION = [
  "OpenAI's Chat Completions API on a durable session, so OpenAI clients work unchanged (`baseURL: http://HOST:PORT/v1`, a Threadline key as the API key).",
  'The session is the `X-Session-Id` header, else the body\'s `user` field. **Only the last user message of `messages` is read: it is the new input.** ' +
    'The history comes from the session in the store, so earlier messages in the body (and system messages: the agent has its own instructions) are ignored; `model` and sampling fields are ignored too.',
  '`stream: true` answers `chat.completion.chunk` Server-Sent Events: a first chunk with `delta.role`, content deltas, a last chunk with `finish_reason: "stop"`, then `data: [DONE]`. ' +
    'The concatenated content is the stored reply. A turn answered again mid-stream (its worker died, or the model failed and was asked again) cannot be expressed in chunks: ' +
    'the stream sends nothing more until the new attempt\'s text extends what was sent, and the rest of the reply at the end. ' +
    'If the new reply does not begin with the text already sent, or the turn fails, the stream ends with an OpenAI error chunk `{"error": {"message", "type", "code"}}` and no `[DONE]` (OpenAI\'s SDKs throw it).',
  '`usage` is always zeros (with `stream_options.include_usage`, in a last chunk without choices): Threadline does not count tokens.',
  'Errors have OpenAI\'s shape, `{"error": {"message", "type", "code", "param"}}`. Once the message is recorded, error answers carry `x-should-retry: false` unless the request has an `Idempotency-Key`: ' +
    'a resend without one would be a second turn. The completion id is `chatcmpl-<turnId>`; the `X-Turn-Id` header has the turn id, for GET /v1/sessions/{id}/turns/{turnId}/events.',
].join('\n\n');

const errorContent = (description: string) => ({ description, content: { 'application/json': { schema: OpenAiErrorBody } } });

const chatCompletions = createRoute({
  method: 'post',
  path: '/chat/completions',
  summary: 'OpenAI-compatible chat completion: the last user message is a new turn of the session (X-Session-Id, else "user")',
  description: DESCRIPTION,
  security: [{ bearer: [] }],
  request: {
    headers: z.object({
      'x-session-id': z.string().optional().openapi({ description: 'the session; without it, the body\'s "user" field names it' }),
      'idempotency-key': z.string().optional().openapi({ description: 'a retried request with the same key gets the first one\'s turn' }),
    }),
    body: { content: { 'application/json': { schema: ChatCompletionRequest } }, required: true },
  },
  responses: {
    200: {
      description: 'A `chat.completion`, or with `"stream": true` `chat.completion.chunk` events',
      content: {
        'application/json': { schema: ChatCompletion },
        'text/event-stream': { schema: z.string().openapi({ description: '`data: {chat.completion.chunk}` lines, then `data: [DONE]` (or an error chunk `data: {"error": …}`)' }) },
      },
    },
    400: errorContent('Bad input: no session named, no user message, content other than text'),
    401: errorContent('Missing, unknown or revoked API key'),
    403: errorContent('The key may not use this session'),
    413: errorContent('Body or text too large'),
    422: errorContent('The message was refused, or the Idempotency-Key belongs to another session'),
    429: errorContent('Too many requests for this key (see Retry-After)'),
    502: errorContent('The turn failed for good (the model or the store failed past every retry)'),
    503: errorContent('The store is not reachable (see Retry-After)'),
  },
});

type ChatMessage = z.infer<typeof ChatCompletionRequest>['messages'][number];

/** The new input: the last user message's text (a string, or its text parts). */
function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === 'user');
  if (!last) throw new ApiError(400, 'no_user_message', 'messages has no user message: the last user message is the new input');
  const { content } = last;
  if (typeof content === 'string') return content;
  const parts = content ?? [];
  const other = parts.find((p) => p.type !== 'text');
  if (other) throw new ApiError(400, 'unsupported_content', `the last user message has a "${other.type}" part: only text is supported`);
  return parts.map((p) => p.text ?? '').join('\n');
}

const ZERO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/** What every completion and chunk of one request share. */
interface Completion {
  id: string;
  created: number;
  model: string;
}

/** OpenAI's `POST /v1/chat/completions` over the same durable turns as POST /v1/sessions/{id}/messages. */
export function chatCompletionRoutes(deps: ServeDeps): OpenAPIHono<ServeEnv> {
  const { store } = deps;
  const app = new OpenAPIHono<ServeEnv>();

  app.openapi(chatCompletions, async (c) => {
    const key = c.get('apiKey');
    const headers = c.req.valid('header');
    const body = c.req.valid('json');
    const sessionId = headers['x-session-id'] ?? body.user;
    if (sessionId === undefined) {
      throw new ApiError(400, 'missing_session', 'name the session: send an X-Session-Id header, or the "user" field in the body');
    }
    assertSessionAccess(key, sessionId);
    const text = lastUserText(body.messages);
    if (text.trim() === '') throw new ApiError(400, 'empty_text', 'the last user message is empty: it is the new input, send something to answer');
    const idempotencyKey = headers['idempotency-key'];
    const inboxId = await submitTurn(store, deps.inbox(), key, { sessionId, text, idempotencyKey });
    c.header('X-Session-Id', sessionId);
    c.header('X-Turn-Id', turnIdOf(inboxId));
    // Recorded: OpenAI's SDKs resend on a 5xx by themselves, which without an Idempotency-Key would be a second turn.
    if (idempotencyKey === undefined) c.header('x-should-retry', 'false');
    const completion: Completion = { id: `chatcmpl-${turnIdOf(inboxId)}`, created: Math.floor(Date.now() / 1000), model: deps.model };
    if (body.stream === true) return streamChunks(c, deps, { inboxId, sessionId, completion, includeUsage: body.stream_options?.include_usage === true });

    const end = await followToEnd(
      followTurn(store, deps.activity, inboxId, { sessionId, pollMs: deps.followPollMs, signal: AbortSignal.any([c.req.raw.signal, deps.closing]) }),
    );
    if (end?.event !== 'done') throw turnEndError(end, sessionId, inboxId);
    return c.json(
      {
        ...completion,
        object: 'chat.completion' as const,
        choices: [{ index: 0, message: { role: 'assistant' as const, content: end.data.reply, refusal: null }, logprobs: null, finish_reason: 'stop' as const }],
        usage: ZERO_USAGE,
      },
      200,
    );
  });

  return app;
}

interface StreamedTurn {
  inboxId: number;
  sessionId: string;
  completion: Completion;
  includeUsage: boolean;
}

/**
 * The turn as OpenAI chunks. Only appending is possible, so a reset is absorbed by AppendOnlyText. Whatever ends
 * the turn other than `done` becomes an error chunk, which OpenAI's SDKs throw; the stream then closes without
 * `[DONE]`. A client that goes away stops only this stream: the turn goes on and commits.
 */
function streamChunks(c: Context<ServeEnv>, deps: ServeDeps, turn: StreamedTurn): Response {
  const { inboxId, sessionId, completion } = turn;
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    const signal = AbortSignal.any([gone.signal, deps.closing]);
    const send = (data: unknown) => stream.writeSSE({ data: JSON.stringify(data) });
    const chunk = (delta: { role?: 'assistant'; content?: string }, finishReason: 'stop' | null = null) =>
      send({ ...completion, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
    const fail = (error: ApiError) => send(openAiErrorBody(error.status, error.code, error.message));
    const text = new AppendOnlyText();
    try {
      for await (const e of followTurn(deps.store, deps.activity, inboxId, { sessionId, pollMs: deps.followPollMs, signal })) {
        if (e.event === 'start') await chunk({ role: 'assistant', content: '' });
        else if (e.event === 'reset') text.reset();
        else if (e.event === 'delta') {
          const out = text.delta(e.data.text);
          if (out !== '') await chunk({ content: out });
        } else if (e.event === 'error') return await fail(turnEndError(e, sessionId, inboxId));
        else {
          const rest = text.finish(e.data.reply);
          if (rest === undefined) {
            return await fail(
              new ApiError(
                502,
                'reply_replaced',
                `the turn was answered again after part of its reply had streamed, and the new reply does not begin with it: the turn is committed (do not send the message again), GET /v1/sessions/${sessionId}/messages has its reply`,
              ),
            );
          }
          if (rest !== '') await chunk({ content: rest });
          await chunk({}, 'stop');
          if (turn.includeUsage) await send({ ...completion, object: 'chat.completion.chunk', choices: [], usage: ZERO_USAGE });
          await stream.writeSSE({ data: '[DONE]' });
          return;
        }
      }
      // No end: the client left (nobody reads this), or this process is shutting down.
      if (!gone.signal.aborted) await fail(turnEndError(undefined, sessionId, inboxId));
    } catch (error) {
      // Written here rather than in streamSSE's error callback, which would add an `event: error` line of its own.
      deps.logger.warn({ err: error, inboxId }, 'a chat completion stream failed; the turn goes on');
      if (!gone.signal.aborted) await fail(turnEndError(undefined, sessionId, inboxId)).catch(() => {});
    }
  });
}
