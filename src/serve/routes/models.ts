import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServeEnv } from '../auth.js';
import { errorResponses } from '../schemas.js';
import type { ServeDeps } from '../serve-deps.js';

const listModels = createRoute({
  method: 'get',
  path: '/models',
  summary: 'The model this service answers with (OpenAI format)',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'Models',
      content: {
        'application/json': {
          schema: z.object({ object: z.literal('list'), data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })) }),
        },
      },
    },
    ...errorResponses,
  },
});

/** OpenAI's `GET /v1/models`, so OpenAI clients that list models first work unchanged. */
export function modelRoutes({ model }: ServeDeps): OpenAPIHono<ServeEnv> {
  const app = new OpenAPIHono<ServeEnv>();
  app.openapi(listModels, (c) => c.json({ object: 'list' as const, data: [{ id: model, object: 'model' as const, created: 0, owned_by: 'threadline' }] }, 200));
  return app;
}
