import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError } from '../api-error.js';
import { apiInboxRecord, apiInboxTimeline } from '../api-shapes.js';
import { assertOperator, type ServeEnv } from '../auth.js';
import { errorResponses, InboxEntry, InboxTimeline, notFound } from '../schemas.js';
import type { ServeDeps } from '../serve-deps.js';

const EntryIdParam = z.object({ id: z.coerce.number().int().min(1).openapi({ param: { name: 'id', in: 'path' } }) });

const listInbox = createRoute({
  method: 'get',
  path: '/admin/inbox',
  summary: 'Inbox entries of every platform, newest first (operator keys only)',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      status: z.enum(['pending', 'done', 'refused', 'dead']).optional(),
      sessionId: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: { 200: { description: 'Entries', content: { 'application/json': { schema: z.object({ entries: z.array(InboxEntry) }) } } }, ...errorResponses },
});

const explainEntry = createRoute({
  method: 'get',
  path: '/admin/inbox/{id}',
  summary: "An entry's fate timeline: attempts, reply parts, what the user was told",
  security: [{ bearer: [] }],
  request: { params: EntryIdParam },
  responses: { 200: { description: 'The timeline', content: { 'application/json': { schema: InboxTimeline } } }, ...errorResponses, ...notFound },
});

const retryEntry = createRoute({
  method: 'post',
  path: '/admin/inbox/{id}/retry',
  summary: 'Put a dead entry back to pending with a fresh attempt budget',
  security: [{ bearer: [] }],
  request: { params: EntryIdParam },
  responses: {
    200: { description: 'Pending again', content: { 'application/json': { schema: z.object({ retried: z.literal(true) }) } } },
    409: { description: 'The entry is not dead', content: { 'application/json': { schema: z.object({ error: z.string(), code: z.string() }) } } },
    ...errorResponses,
    ...notFound,
  },
});

/** The operator's view of the inbox, the same ledger `threadline inbox` shows. */
export function adminRoutes({ store }: ServeDeps): OpenAPIHono<ServeEnv> {
  const app = new OpenAPIHono<ServeEnv>();
  app.use('/admin/*', async (c, next) => {
    assertOperator(c.get('apiKey'));
    await next();
  });

  app.openapi(listInbox, async (c) => {
    const { status, sessionId, limit } = c.req.valid('query');
    const entries = await store.listInbox({ status, sessionId, limit });
    return c.json({ entries: entries.map(apiInboxRecord) }, 200);
  });

  app.openapi(explainEntry, async (c) => {
    const { id } = c.req.valid('param');
    const timeline = await store.inboxTimeline(id);
    if (!timeline) throw new ApiError(404, 'not_found', `no inbox entry ${id}`);
    return c.json(apiInboxTimeline(timeline), 200);
  });

  app.openapi(retryEntry, async (c) => {
    const { id } = c.req.valid('param');
    if (await store.retryInbox(id)) return c.json({ retried: true as const }, 200);
    const timeline = await store.inboxTimeline(id);
    if (!timeline) throw new ApiError(404, 'not_found', `no inbox entry ${id}`);
    throw new ApiError(409, 'not_dead', `entry ${id} is ${timeline.entry.status}: only dead entries can be retried`);
  });

  return app;
}
