import type pg from 'pg';

/** A pooled connection checked out for a while (a session lock, a migration), watched for drops. */
export interface WatchedClient {
  readonly client: pg.PoolClient;
  /** The error the connection dropped with, once it has: nothing more runs on it. */
  readonly lostWith: Error | undefined;
  /** Back to the pool; with an error (given, or the one it dropped with) the pool closes it instead of reusing it. */
  release(error?: Error): void;
}

/**
 * Check a client out of `pool` with an 'error' listener of its own. The pool listens only on idle clients: a
 * checked-out one whose backend is terminated (a Postgres restart, pg_terminate_backend) while its holder waits
 * on something else, such as an LLM call, would otherwise crash the process with an unhandled 'error' event.
 */
export async function checkOutWatched(pool: pg.Pool): Promise<WatchedClient> {
  const client = await pool.connect();
  let lostWith: Error | undefined;
  const onError = (error: Error) => {
    lostWith ??= error;
  };
  client.on('error', onError);
  return {
    client,
    get lostWith() {
      return lostWith;
    },
    release(error) {
      const broken = error ?? lostWith;
      // A broken client keeps the listener while the pool closes it: a late 'error' must still find one.
      if (!broken) client.off('error', onError);
      client.release(broken);
    },
  };
}
