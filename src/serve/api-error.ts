import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../log.js';
import { InvalidInputError, isStoreUnreachable, SessionBusyError, StoreUnavailableError } from '../store/errors.js';
import { oneLine } from '../core/one-line.js';

/** Every error the API answers with: a status, a stable machine-readable code, and one line saying what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The JSON body of every error: `{"error": <one line>, "code": <code>}`. */
export function errorBody(code: string, message: string): { error: string; code: string } {
  return { error: message, code };
}

/**
 * Errors are translated here, once: the API's own, Hono's (a body over the limit), the store's (unreachable → 503,
 * so a load balancer or client tries again; bad input → 400). Anything else is a bug: 500, logged with its stack,
 * and the client sees no internals.
 */
export function answerError(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof ApiError) return c.json(errorBody(error.code, error.message), error.status, error.headers);
  if (error instanceof HTTPException) {
    if (error.status === 413) return c.json(errorBody('body_too_large', error.message || 'the request body is too large'), 413);
    return c.json(errorBody('bad_request', oneLine(error.message || "bad request")), error.status);
  }
  if (error instanceof SessionBusyError) return c.json(errorBody('session_busy', oneLine(error.message)), 503, { 'Retry-After': '1' });
  if (error instanceof StoreUnavailableError || isStoreUnreachable(error)) {
    logger.warn({ err: error }, 'store unavailable for an HTTP request');
    return c.json(errorBody('store_unavailable', 'the store is not reachable right now; try again shortly'), 503, { 'Retry-After': '2' });
  }
  if (error instanceof InvalidInputError) return c.json(errorBody('invalid_input', oneLine(error.message)), 400);
  logger.error({ err: error, route: c.req.routePath }, 'HTTP request failed');
  return c.json(errorBody('internal', 'internal error; the server log has the details'), 500);
}
