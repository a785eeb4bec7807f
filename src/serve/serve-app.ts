import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { rateLimiter } from 'hono-rate-limiter';
import { httpMetrics } from '../ops/http-metrics.js';
import { opsRoutes } from '../ops/ops-routes.js';
import { answerError, ApiError, errorBody } from './api-error.js';
import { requireApiKey, type ServeEnv } from './auth.js';
import { adminRoutes } from './routes/admin.js';
import { keyRoutes } from './routes/key.js';
import { chatCompletionRoutes } from './routes/chat-completions.js';
import { modelRoutes } from './routes/models.js';
import { sessionRoutes } from './routes/sessions.js';
import { turnRoutes } from './routes/turns.js';
import type { ServeDeps } from './serve-deps.js';
import { webRoutes } from './web/web-routes.js';

export interface ServeLimits {
  /** Largest request body (bytes); larger ones get 413. */
  bodyBytes: number;
  /** Requests per minute per key (429 with Retry-After beyond); 0: no limit. Counted per process. */
  requestsPerMinute: number;
  /** Origins allowed to call the API from a browser on another origin; none: CORS stays off. */
  corsOrigins: string[];
}

/** The HTTP API of `threadline serve`: every /v1 route behind a key, the limits, /openapi.json, and the web pages. */
export function createServeApp(deps: ServeDeps, limits: ServeLimits): OpenAPIHono<ServeEnv> {
  const app = new OpenAPIHono<ServeEnv>({
    // A request that fails validation gets one line naming the field, like every other error.
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw new ApiError(400, 'invalid_request', `${where}${issue?.message ?? 'invalid request'}`);
      }
    },
  });
  app.onError((error, c) => answerError(error, c, deps.logger));
  app.use(httpMetrics(deps.metrics));
  // /healthz, /readyz (the store answers, and the process is not shutting down), /metrics: outside /v1, no key.
  app.route('/', opsRoutes({ registry: deps.metrics.registry, store: () => deps.store, readiness: () => (deps.closing.aborted ? 'shutting down' : undefined) }));
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path} (GET /openapi.json lists them)`), 404));

  if (limits.corsOrigins.length > 0) app.use('/v1/*', cors({ origin: limits.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-Session-Id'], exposeHeaders: ['Retry-After', 'X-Turn-Id', 'X-Session-Id'] }));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: limits.bodyBytes,
      onError: () => {
        throw new ApiError(413, 'body_too_large', `the request body is over ${limits.bodyBytes} bytes`);
      },
    }),
  );
  app.use('/v1/*', requireApiKey(deps.store));
  if (limits.requestsPerMinute > 0) {
    app.use(
      '/v1/*',
      rateLimiter<ServeEnv>({
        windowMs: 60_000,
        limit: limits.requestsPerMinute,
        standardHeaders: 'draft-6',
        keyGenerator: (c) => c.get('apiKey').name,
        handler: (c) => {
          throw new ApiError(429, 'rate_limited', `more than ${limits.requestsPerMinute} requests a minute with this key: wait and try again`, {
            'Retry-After': c.res.headers.get('Retry-After') ?? '60',
          });
        },
      }),
    );
  }

  app.route('/v1', keyRoutes());
  app.route('/v1', sessionRoutes(deps));
  app.route('/v1', turnRoutes(deps));
  app.route('/v1', adminRoutes(deps));
  app.route('/v1', modelRoutes(deps));
  app.route('/v1', chatCompletionRoutes(deps));
  // The chat page (/) and the operator view (/admin): static files that call /v1 with the key the user pastes.
  app.route('/', webRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'a Threadline API key (threadline keys create)' });
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'Threadline', version: '1', description: 'Managed agents over HTTP: durable, resumable turns on the same store as the bots.' },
  });
  return app;
}
