import pg from 'pg';

/** First wait before reconnecting a dropped LISTEN connection; it doubles up to the cap. */
const RECONNECT_FIRST_MS = 250;
/** Capped low: a worker should be woken by notifications again within seconds of Postgres coming back. */
const RECONNECT_CAP_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface NotificationListenerOptions {
  connectionString: string;
  /** The NOTIFY channel (the inbox's or the turn log's of a schema). */
  channel: string;
  /** A notification's payload, or '' after a reconnect: notifications may have been missed, look again. */
  listener: (payload: string) => void;
}

/**
 * LISTEN on a dedicated connection (LISTEN belongs to a connection, and pooled ones are shared) that re-establishes
 * itself: when the connection drops (a Postgres restart, a terminated backend), it reconnects with back-off,
 * LISTENs again and calls the listener once with ''. Resolves after the first attempt, whether or not it
 * connected: while Postgres is down callers poll, and the loop keeps trying in the background.
 * Returns the function that stops the loop and closes the connection.
 */
export async function listenForNotifications(options: NotificationListenerOptions): Promise<() => Promise<void>> {
  let stopped = false;
  let current: pg.Client | undefined;
  let wakeFromSleep: () => void = () => {};

  /** Connects and LISTENs; resolves when the connection is gone (or could not be made). */
  const session = async (onListening: () => void): Promise<void> => {
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: 'threadline-listen',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    current = client;
    const gone = new Promise<void>((resolve) => {
      // Every error of this connection ends up here: a dropped LISTEN only makes wake-ups slower until it is back.
      client.on('error', () => resolve());
      client.on('end', () => resolve());
    });
    client.on('notification', (message) => {
      if (!stopped) options.listener(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${options.channel}`);
    } catch {
      await client.end().catch(() => {});
      return;
    }
    onListening();
    if (stopped) await client.end().catch(() => {});
    await gone;
  };

  let firstAttempt!: () => void;
  const firstAttemptDone = new Promise<void>((resolve) => (firstAttempt = resolve));
  void (async () => {
    let delayMs = RECONNECT_FIRST_MS;
    for (let attempt = 1; !stopped; attempt++) {
      await session(() => {
        delayMs = RECONNECT_FIRST_MS;
        if (attempt > 1 && !stopped) options.listener('');
        firstAttempt();
      });
      firstAttempt();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wakeFromSleep = resolve;
        setTimeout(resolve, delayMs).unref();
      });
      delayMs = Math.min(delayMs * 2, RECONNECT_CAP_MS);
    }
  })();
  await firstAttemptDone;

  return async () => {
    stopped = true;
    wakeFromSleep();
    await current?.end().catch(() => {});
  };
}
