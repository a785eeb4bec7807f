import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError } from '../api-error.js';
import { apiMessage, apiSession } from '../api-shapes.js';
import { assertSessionAccess, type ServeEnv } from '../auth.js';
import { errorResponses, Message, notFound, Session, SessionIdParam } from '../schemas.js';
import type { ServeDeps } from '../serve-deps.js';

const listSessions = createRoute({
  method: 'get',
  path: '/sessions',
  summary: 'List sessions (those the key may use), newest activity first',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      prefix: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      cursor: z.string().optional(),
    }),
  },
  responses: {
    200: { description: 'A page of sessions', content: { 'application/json': { schema: z.object({ sessions: z.array(Session), nextCursor: z.string().optional() }) } } },
    ...errorResponses,
  },
});

const getSession = createRoute({
  method: 'get',
  path: '/sessions/{id}',
  summary: "A session's metadata",
  security: [{ bearer: [] }],
  request: { params: SessionIdParam },
  responses: { 200: { description: 'The session', content: { 'application/json': { schema: Session } } }, ...errorResponses, ...notFound },
});

const listMessages = createRoute({
  method: 'get',
  path: '/sessions/{id}/messages',
  summary: "A page of the session's messages, oldest first",
  security: [{ bearer: [] }],
  request: {
    params: SessionIdParam,
    query: z.object({
      after: z.coerce.number().int().min(0).optional().openapi({ description: 'only messages with a greater seq' }),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: { 200: { description: 'Messages', content: { 'application/json': { schema: z.object({ messages: z.array(Message) }) } } }, ...errorResponses },
});

const deleteSession = createRoute({
  method: 'delete',
  path: '/sessions/{id}',
  summary: 'Delete a session with its messages',
  security: [{ bearer: [] }],
  request: { params: SessionIdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses, ...notFound },
});

export function sessionRoutes({ store }: ServeDeps): OpenAPIHono<ServeEnv> {
  const app = new OpenAPIHono<ServeEnv>();

  app.openapi(listSessions, async (c) => {
    const key = c.get('apiKey');
    const { prefix, limit, cursor } = c.req.valid('query');
    // A scoped key lists inside its prefix: no prefix given means the key's own.
    const effective = prefix ?? key.sessionsPrefix ?? '';
    assertSessionAccess(key, effective);
    const page = await store.listSessions({ prefix: effective || undefined, limit, cursor });
    return c.json({ sessions: page.sessions.map(apiSession), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
  });

  app.openapi(getSession, async (c) => {
    const { id } = c.req.valid('param');
    assertSessionAccess(c.get('apiKey'), id);
    const session = await store.getSession(id);
    if (!session) throw new ApiError(404, 'not_found', `no session "${id}"`);
    return c.json(apiSession(session), 200);
  });

  app.openapi(listMessages, async (c) => {
    const { id } = c.req.valid('param');
    assertSessionAccess(c.get('apiKey'), id);
    const { after, limit } = c.req.valid('query');
    const messages = await store.readMessages(id, { afterSeq: after, limit });
    return c.json({ messages: messages.map(apiMessage) }, 200);
  });

  app.openapi(deleteSession, async (c) => {
    const { id } = c.req.valid('param');
    assertSessionAccess(c.get('apiKey'), id);
    if (!(await store.deleteSession(id))) throw new ApiError(404, 'not_found', `no session "${id}"`);
    return c.body(null, 204);
  });

  return app;
}
