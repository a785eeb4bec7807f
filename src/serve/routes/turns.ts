import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError } from '../api-error.js';
import { assertSessionAccess, type ServeEnv } from '../auth.js';
import { errorResponses, notFound, PostMessageBody, SessionIdParam, TurnResult } from '../schemas.js';
import type { ServeDeps } from '../serve-deps.js';
import { submitTurn } from '../submit-turn.js';
import { followToEnd, followTurn, turnEndError } from '../turn-follower.js';

const KEEP_ALIVE_MS = 15_000;

const SSE_DESCRIPTION =
  'Server-Sent Events, each with an id: `start` {sessionId, turnId}, `delta` {text} per chunk (a `reset` {} means: forget the text so far, the turn is being answered again), then `done` {reply, turn, messages} or `error` {error, code}.';

const postMessage = createRoute({
  method: 'post',
  path: '/sessions/{id}/messages',
  summary: 'Send a message; the reply streams back (or comes as one JSON answer with "stream": false)',
  security: [{ bearer: [] }],
  request: {
    params: SessionIdParam,
    headers: z.object({ 'idempotency-key': z.string().optional().openapi({ description: 'a retried request with the same key gets the first one\'s turn' }) }),
    body: { content: { 'application/json': { schema: PostMessageBody } }, required: true },
  },
  responses: {
    200: {
      description: 'The turn: an SSE stream, or with "stream": false its result',
      content: { 'text/event-stream': { schema: z.string().openapi({ description: SSE_DESCRIPTION }) }, 'application/json': { schema: TurnResult } },
    },
    413: { description: 'Body or text too large', content: { 'application/json': { schema: z.object({ error: z.string(), code: z.string() }) } } },
    422: { description: 'The message was refused, or the Idempotency-Key belongs to another session', content: { 'application/json': { schema: z.object({ error: z.string(), code: z.string() }) } } },
    502: { description: 'The turn failed for good (the model or the store failed past every retry)', content: { 'application/json': { schema: z.object({ error: z.string(), code: z.string() }) } } },
    ...errorResponses,
  },
});

const turnEvents = createRoute({
  method: 'get',
  path: '/sessions/{id}/turns/{turnId}/events',
  summary: "Replay a turn's events after Last-Event-ID, then follow it live until it ends (from any serve process)",
  security: [{ bearer: [] }],
  request: {
    params: SessionIdParam.extend({ turnId: z.string().openapi({ param: { name: 'turnId', in: 'path' } }) }),
    headers: z.object({ 'last-event-id': z.string().optional() }),
  },
  responses: { 200: { description: SSE_DESCRIPTION, content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses, ...notFound },
});

export function turnRoutes(deps: ServeDeps): OpenAPIHono<ServeEnv> {
  const { store } = deps;
  const app = new OpenAPIHono<ServeEnv>();

  app.openapi(postMessage, async (c) => {
    const { id } = c.req.valid('param');
    const key = c.get('apiKey');
    assertSessionAccess(key, id);
    const body = c.req.valid('json');
    const inboxId = await submitTurn(store, deps.inbox(), key, { sessionId: id, text: body.text, idempotencyKey: c.req.valid('header')['idempotency-key'] });
    if (body.stream === false) {
      // The turn runs in the inbox's workers; this request only waits for its fate.
      const end = await followToEnd(
        followTurn(store, deps.activity, inboxId, { sessionId: id, pollMs: deps.followPollMs, signal: AbortSignal.any([c.req.raw.signal, deps.closing]) }),
      );
      if (end?.event === 'done') return c.json(end.data, 200);
      throw turnEndError(end, id, inboxId);
    }
    return streamEvents(c, deps, inboxId, id);
  });

  app.openapi(turnEvents, async (c) => {
    const { id, turnId } = c.req.valid('param');
    assertSessionAccess(c.get('apiKey'), id);
    const inboxId = Number(turnId);
    // Which session the turn is in, in one statement (the one event it may read goes unused).
    const progress = Number.isSafeInteger(inboxId) && inboxId > 0 ? await store.turnProgress(inboxId, 0, 1) : null;
    if (!progress || progress.sessionId !== id) throw new ApiError(404, 'not_found', `no turn "${turnId}" in session "${id}"`);
    const lastId = c.req.valid('header')['last-event-id'];
    const afterId = lastId === undefined ? undefined : Number(lastId);
    if (afterId !== undefined && !(Number.isSafeInteger(afterId) && afterId >= 0)) {
      throw new ApiError(400, 'invalid_last_event_id', 'Last-Event-ID must be the id of an event this stream sent (a whole number)');
    }
    return streamEvents(c, deps, inboxId, id, afterId);
  });

  return app;
}

/**
 * The turn as SSE. A client that goes away stops only this stream: the turn is the inbox's, it completes and
 * commits, and GET …/turns/{turnId}/events picks it up again.
 */
function streamEvents(c: Context<ServeEnv>, deps: ServeDeps, inboxId: number, sessionId: string, afterId?: number): Response {
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    const signal = AbortSignal.any([gone.signal, deps.closing]);
    // A model may think for a minute before its first token: a comment now and then keeps proxies from closing the stream.
    const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    try {
      for await (const e of followTurn(deps.store, deps.activity, inboxId, { afterId, sessionId, pollMs: deps.followPollMs, signal })) {
        await stream.writeSSE({ event: e.event, id: String(e.id), data: JSON.stringify(e.data) });
      }
    } finally {
      clearInterval(keepAlive);
    }
  }, async (error, stream) => {
    // Headers are gone already: the failure becomes the stream's last event; the client may resume with Last-Event-ID.
    deps.logger.warn({ err: error, inboxId }, 'a turn stream failed; the turn goes on');
    await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: 'the stream broke off (the turn goes on): resume it with Last-Event-ID', code: 'stream_interrupted' }) });
  });
}
