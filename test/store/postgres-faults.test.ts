import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isStoreUnreachable, LockLostError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { startOwnedPostgres, type OwnedPostgres } from '../support/owned-postgres.js';

// Faults a shared Postgres must never see (terminated backends, restarts): each file owns its server.
let server: OwnedPostgres;
let store: HistoryStore;
/** Anything unhandled while a test runs: the issue is a process that dies of exactly this. */
const unhandled: unknown[] = [];
const recordUnhandled = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  server = await startOwnedPostgres();
  process.on('unhandledRejection', recordUnhandled).on('uncaughtException', recordUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', recordUnhandled).off('uncaughtException', recordUnhandled);
  await server?.close();
});
afterEach(async () => {
  await store?.close();
  expect(unhandled).toEqual([]);
});

const openOwned = async (schema: string) => (store = await openStore(`${server.url}?schema=${schema}`));

/** Runs one statement on the owned server from a connection of its own. */
async function admin<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Terminates the backends of `applicationName` that hold a granted advisory lock, waits until they are gone, and
 * returns how many there were.
 */
async function terminateLockHolders(applicationName: string): Promise<number> {
  const rows = await admin<{ pid: number }>(
    `WITH holders AS MATERIALIZED (
       SELECT DISTINCT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
        WHERE a.application_name = $1 AND l.locktype = 'advisory' AND l.granted)
     SELECT pid FROM holders WHERE pg_terminate_backend(pid)`,
    [applicationName],
  );
  const pids = rows.map((r) => r.pid);
  await eventually('the terminated backends to be gone', async () =>
    (await admin('SELECT 1 FROM pg_stat_activity WHERE pid = ANY ($1)', [pids])).length === 0 || undefined,
  );
  return pids.length;
}

/** Enters the session's lock, then waits (as a turn waits on its LLM call) until `proceed` is called. */
function holdLock(sessionId: string) {
  let entered!: () => void;
  let proceed!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (proceed = resolve));
  const turn = store.withSessionLock(sessionId, async (session) => {
    await session.loadWindow();
    entered();
    await gate;
    return session.appendTurn([{ role: 'user', content: 'written after the connection dropped' }]);
  });
  // Observed by the test through `outcome`, never left unhandled.
  const outcome = turn.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { inside, proceed, outcome };
}

describe('Postgres store: connections that drop', { timeout: 30_000 }, () => {
  it('a lock whose backend is terminated mid-turn: the turn rejects as unreachable, nothing unhandled, the next lock works', async () => {
    await openOwned('terminated');
    const turn = holdLock('s1');
    await turn.inside;
    // The drop reaches the client while it waits: the crash this guards against happened right here.
    expect(await terminateLockHolders('threadline')).toBe(1);
    turn.proceed();
    const { result, error } = await turn.outcome;
    expect(result).toBeUndefined();
    expect(isStoreUnreachable(error)).toBe(true);

    const next = await store.withSessionLock('s1', (session) => session.appendTurn([{ role: 'user', content: 'after' }]));
    expect(next).toEqual({ firstSeq: 1, lastSeq: 1, version: 1 });
    expect((await store.fullHistory('s1')).map((m) => m.content)).toEqual(['after']);
  });

  it('once the drop is seen, further calls on the handle reject with LockLostError caused by the connection error', async () => {
    await openOwned('lost_handle');
    let seenLoss: unknown;
    const done = store.withSessionLock('s2', async (session) => {
      await session.loadWindow();
      expect(await terminateLockHolders('threadline')).toBe(1);
      // Polls the handle until the connection's error has arrived (a query sent before that fails on its own).
      await eventually('the handle to report its lost lock', async () => {
        seenLoss = await session.getRuntimeState().then(() => undefined, (error: unknown) => error);
        return seenLoss instanceof LockLostError ? seenLoss : undefined;
      });
      return session.appendTurn([{ role: 'user', content: 'x' }]);
    });
    const error = await done.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(isStoreUnreachable(error)).toBe(true);
    expect((error as LockLostError).message).not.toMatch(/\n/);
    expect(await store.fullHistory('s2')).toEqual([]);
  });

  it('a terminated lease connection resolves `lost`; the lease can be taken again', async () => {
    await openOwned('lease');
    const lease = await store.tryAcquireLease('poller');
    expect(lease).not.toBeNull();
    expect(await store.tryAcquireLease('poller')).toBeNull();
    expect(await terminateLockHolders('threadline-lease')).toBe(1);
    await lease!.lost;
    const again = await eventually('the lease to be free again', () => store.tryAcquireLease('poller').then((l) => l ?? undefined));
    await again.release();
    await lease!.release();
  });

  it('Postgres restarted: a lock held across it rejects, LISTEN comes back and fires for a new entry, pool queries work, leases report lost', async () => {
    await openOwned('restart');
    const woken: string[] = [];
    const unlisten = await store.onInboxActivity((sessionId) => woken.push(sessionId));
    await store.enqueueInbox({ sessionId: 'before', eventKey: 'e1', payload: {} });
    await eventually('the notification before the restart', () => (woken.includes('before') ? true : undefined));
    const lease = (await store.tryAcquireLease('poller'))!;
    const turn = holdLock('s3');
    await turn.inside;

    await server.stop();
    turn.proceed();
    const { error } = await turn.outcome;
    expect(isStoreUnreachable(error)).toBe(true);
    await lease.lost;
    // While Postgres is down: a lease attempt rejects (the callers catch it and retry); nothing crashes.
    await expect(store.tryAcquireLease('poller')).rejects.toSatisfy(isStoreUnreachable);
    await server.start();

    // The listener says "look again" once it is back, so a notification missed meanwhile costs nothing.
    await eventually('the listener to reconnect', () => (woken.includes('') ? true : undefined), 10_000);
    await store.enqueueInbox({ sessionId: 'after', eventKey: 'e2', payload: {} });
    await eventually('the notification after the restart', () => (woken.includes('after') ? true : undefined), 10_000);
    expect(await store.pendingInboxSessions()).toEqual(['before', 'after']);
    const next = await store.withSessionLock('s3', (session) => session.appendTurn([{ role: 'user', content: 'after restart' }]));
    expect(next).toEqual({ firstSeq: 1, lastSeq: 1, version: 1 });
    await unlisten();
  });

  it('onInboxActivity while Postgres is down resolves, and starts listening once it is up; unsubscribing stops the retries', async () => {
    await openOwned('listen_down');
    await server.stop();
    try {
      const woken: string[] = [];
      const unlisten = await store.onInboxActivity((sessionId) => woken.push(sessionId));
      const stopped = await store.onInboxActivity(() => woken.push('unsubscribed listener'));
      await stopped();
      await server.start();
      await eventually('the listener to connect', () => (woken.includes('') ? true : undefined), 10_000);
      await store.enqueueInbox({ sessionId: 'late', eventKey: 'e3', payload: {} });
      await eventually('the notification', () => (woken.includes('late') ? true : undefined), 10_000);
      expect(woken).not.toContain('unsubscribed listener');
      await unlisten();
      await eventually('the listen connection to be closed', async () =>
        (await admin(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'threadline-listen'`)).length === 0 || undefined,
      );
    } finally {
      await server.start().catch(() => {});
    }
  });
});
