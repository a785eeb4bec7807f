import type { MiddlewareHandler } from 'hono';
import type { ApiKeyRecord, ApiKeyStore } from '../store/types.js';
import { ApiError } from './api-error.js';
import { hashApiKey } from './api-key.js';

export interface ServeEnv {
  Variables: { apiKey: ApiKeyRecord };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Every /v1 request names a live key: `Authorization: Bearer tl_…`. The key is looked up by its digest. */
export function requireApiKey(store: ApiKeyStore): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new ApiError(401, 'missing_key', 'send an API key as "Authorization: Bearer <key>" (threadline keys create makes one)', { 'WWW-Authenticate': 'Bearer' });
    const key = BEARER.exec(header)?.[1];
    const record = key === undefined ? null : await store.findApiKey(hashApiKey(key));
    if (!record) throw new ApiError(401, 'invalid_key', 'unknown or revoked API key: check the key, or create one with threadline keys create', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    c.set('apiKey', record);
    await next();
  };
}

/** A key with a sessions prefix reaches only the sessions whose id starts with it. */
export function assertSessionAccess(key: ApiKeyRecord, sessionId: string): void {
  if (key.sessionsPrefix !== undefined && !sessionId.startsWith(key.sessionsPrefix)) {
    throw new ApiError(403, 'forbidden', `this key may only use sessions whose id starts with "${key.sessionsPrefix}"`);
  }
}

/** Operator endpoints (/v1/admin) take only keys without a sessions prefix. */
export function assertOperator(key: ApiKeyRecord): void {
  if (key.sessionsPrefix !== undefined) {
    throw new ApiError(403, 'forbidden', 'operator endpoints need a key without a sessions prefix (threadline keys create --name NAME)');
  }
}
