import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { oneLine } from '../core/one-line.js';
import type { StoreAdmin } from '../store/types.js';

/** How long /readyz waits for the store before calling the process unready. */
const DEFAULT_STORE_TIMEOUT_MS = 2_000;
const MAX_REASON = 300;

export interface OpsRoutesOptions {
  /** What /metrics renders. */
  registry: Registry;
  /** The store /readyz asks (`schemaVersion()`); undefined while it is not open yet. */
  store: () => Pick<StoreAdmin, 'schemaVersion'> | undefined;
  /**
   * Why the process is not ready apart from its store (starting, shutting down, an adapter not connected): one
   * line, or undefined when nothing is wrong. Asked once the store has answered.
   */
  readiness?: () => string | undefined;
  /** How long /readyz waits for the store (default 2 s). */
  storeTimeoutMs?: number;
}

/**
 * The ops endpoints, for a bot process or `threadline serve` to mount:
 * - `GET /healthz`: 200 `{"status":"ok"}` while the process runs (liveness; it asks nothing).
 * - `GET /readyz`: 200 `{"status":"ready"}` when the store answers and `readiness` names no problem; otherwise
 *   503 `{"status":"unready","reason":"<one line>"}`.
 * - `GET /metrics`: the registry in Prometheus' text format.
 */
export function opsRoutes(options: OpsRoutesOptions): Hono {
  const app = new Hono();
  const storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  // Probes that come while one is in flight share it: a hung store never collects a pile of queries.
  let probe: Promise<string | undefined> | undefined;
  const storeProblem = () =>
    (probe ??= probeStore(options.store(), storeTimeoutMs).finally(() => {
      probe = undefined;
    }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const reason = (await storeProblem()) ?? options.readiness?.();
    if (reason === undefined) return c.json({ status: 'ready' });
    return c.json({ status: 'unready', reason: oneLine(reason, MAX_REASON) }, 503);
  });
  app.get('/metrics', async (c) => {
    const text = await options.registry.metrics();
    return c.body(text, 200, { 'content-type': options.registry.contentType });
  });
  return app;
}

/** Why the store is not usable now, or undefined when it answered in time. */
async function probeStore(store: Pick<StoreAdmin, 'schemaVersion'> | undefined, timeoutMs: number): Promise<string | undefined> {
  if (!store) return 'the store is not open yet';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the store did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answer = new Promise<unknown>((resolve) => resolve(store.schemaVersion())).then(
    () => undefined,
    (error: unknown) => `the store does not answer: ${oneLine(error, 200)}`,
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
