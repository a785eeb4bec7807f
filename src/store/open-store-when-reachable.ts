import pRetry from 'p-retry';
import type { Logger } from '../log.js';
import { isStoreUnreachable } from './errors.js';
import { openStore, type OpenStoreOptions } from './open-store.js';
import type { HistoryStore } from './types.js';

const FIRST_WAIT_MS = 250;
/** A worker started before its database should be up within seconds of the database, not a minute later. */
const MAX_WAIT_MS = 3_000;
const FACTOR = 2;

export interface OpenStoreWhenReachableOptions extends OpenStoreOptions {
  /** Gets one warn line per failed attempt. */
  logger: Logger;
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * `openStore`, waiting for a database that is not reachable yet (refusing connections, starting up, dropping
 * them) for as long as it takes, with back-off. A configuration error (wrong password or role, missing database,
 * a URL of unknown form) fails at once with openStore's one-line error: waiting would not fix it.
 */
export async function openStoreWhenReachable(db: string, options: OpenStoreWhenReachableOptions): Promise<HistoryStore> {
  const { logger, signal, ...openOptions } = options;
  signal?.throwIfAborted();
  const worthWaiting = (error: Error) => isStoreUnreachable(error) && !signal?.aborted;
  return pRetry(
    async () => {
      const store = await openStore(db, openOptions);
      // Aborted while this attempt was connecting: nobody takes the store any more, so close it.
      if (signal?.aborted) {
        await store.close();
        throw signal.reason;
      }
      return store;
    },
    {
      forever: true,
      factor: FACTOR,
      minTimeout: FIRST_WAIT_MS,
      maxTimeout: MAX_WAIT_MS,
      randomize: false,
      signal,
      shouldRetry: worthWaiting,
      onFailedAttempt: (error) => {
        // p-retry calls this after a refused retry too: say nothing about waiting then.
        if (!worthWaiting(error)) return;
        const retryInMs = Math.min(FIRST_WAIT_MS * FACTOR ** (error.attemptNumber - 1), MAX_WAIT_MS);
        // The error's message names the server by its redacted URL (or not at all): never the password.
        logger.warn({ attempt: error.attemptNumber, retryInMs, reason: error.message.split('\n')[0] }, 'database not reachable yet: waiting for it');
      },
    },
  );
}
