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

/** Routes OpenAI's SDKs call: their errors take OpenAI's shape, which those SDKs read (see openAiErrorBody). */
const OPENAI_ROUTES = new Set(['/v1/chat/completions', '/v1/models']);

/** OpenAI's error `type` for a status, as its SDKs and client code branch on it. */
function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The OpenAI shape of an error, `{"error": {"message", "type", "code", "param"}}`: the body, or a stream's last chunk. */
export function openAiErrorBody(status: number, code: string, message: string) {
  return { error: { message, type: openAiErrorType(status), code, param: null } };
}

/**
 * Errors are translated here, once: the API's own, Hono's (a body over the limit), the store's (unreachable → 503,
 * so a load balancer or client tries again; bad input → 400). Anything else is a bug: 500, logged with its stack,
 * and the client sees no internals. The OpenAI-compatible routes answer the same errors in OpenAI's shape.
 */
export function answerError(error: unknown, c: Context, logger: Logger): Response {
  const e = asApiError(error, c, logger);
  const body = OPENAI_ROUTES.has(c.req.path) ? openAiErrorBody(e.status, e.code, e.message) : errorBody(e.code, e.message);
  return c.json(body, e.status, e.headers);
}

function asApiError(error: unknown, c: Context, logger: Logger): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiError(413, 'body_too_large', error.message || 'the request body is too large');
    return new ApiError(error.status, 'bad_request', oneLine(error.message || 'bad request'));
  }
  if (error instanceof SessionBusyError) return new ApiError(503, 'session_busy', oneLine(error.message), { 'Retry-After': '1' });
  if (error instanceof StoreUnavailableError || isStoreUnreachable(error)) {
    logger.warn({ err: error }, 'store unavailable for an HTTP request');
    return new ApiError(503, 'store_unavailable', 'the store is not reachable right now; try again shortly', { 'Retry-After': '2' });
  }
  if (error instanceof InvalidInputError) return new ApiError(400, 'invalid_input', oneLine(error.message));
  logger.error({ err: error, route: c.req.routePath }, 'HTTP request failed');
  return new ApiError(500, 'internal', 'internal error; the server log has the details');
}
