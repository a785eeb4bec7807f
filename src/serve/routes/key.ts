import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServeEnv } from '../auth.js';
import { errorResponses } from '../schemas.js';

const whoAmI = createRoute({
  method: 'get',
  path: '/key',
  summary: 'The key this request was made with: its name and scope (never the key itself)',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'The key',
      content: {
        'application/json': {
          schema: z.object({
            name: z.string(),
            sessionsPrefix: z.string().optional().openapi({ description: 'the key may only use sessions whose id starts with this' }),
            operator: z.boolean().openapi({ description: 'true for a key without a sessions prefix: it may use /v1/admin' }),
          }),
        },
      },
    },
    ...errorResponses,
  },
});

/** So a client (the chat page) can name new sessions inside its key's prefix before it is refused for them. */
export function keyRoutes(): OpenAPIHono<ServeEnv> {
  const app = new OpenAPIHono<ServeEnv>();
  app.openapi(whoAmI, (c) => {
    const key = c.get('apiKey');
    return c.json({ name: key.name, ...(key.sessionsPrefix !== undefined ? { sessionsPrefix: key.sessionsPrefix } : {}), operator: key.sessionsPrefix === undefined }, 200);
  });
  return app;
}
