import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ThreadlineMetrics } from './metrics.js';

/** The `route` of a request no route answered (a 404 of the app itself): never its raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts every request (`threadline_http_requests_total`) and times it (`threadline_http_request_duration_seconds`)
 * by method, route pattern and status. The route is the pattern of the route the request was for (`/sessions/:id`),
 * also when a middleware answered first (a 401 from the key check), never the URL, so label values stay bounded; a
 * request no route matched is `unmatched`. Mount it first (`app.use(httpMetrics(metrics))`) so it sees them all.
 */
export function httpMetrics(metrics: Pick<ThreadlineMetrics, 'httpRequests' | 'httpRequestDuration'>): MiddlewareHandler {
  return async function httpMetricsMiddleware(c, next) {
    const began = performance.now();
    try {
      await next();
    } finally {
      // Middlewares are registered for every method ('ALL'); the route the request was for is the last other match.
      const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? UNMATCHED_ROUTE;
      const method = c.req.method;
      // Hono turns a handler's error into a response (500) before it gets here; a response-less throw is a 500 too.
      const status = String(c.finalized ? c.res.status : 500);
      metrics.httpRequests.inc({ method, route, status });
      metrics.httpRequestDuration.observe({ method, route }, (performance.now() - began) / 1000);
    }
  };
}
