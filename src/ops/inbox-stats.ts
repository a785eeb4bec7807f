import type { HistoryStore } from '../store/types.js';

/**
 * One inbox queue's numbers, as the metrics report them. Structurally the `InboxQueueStats` that
 * `HistoryStore.inboxStats()` returns (being added on another branch): the two are interchangeable.
 */
export interface InboxQueueStats {
  queue: string;
  /** Entries waiting for their turn or being worked on. */
  pending: number;
  /** When the oldest pending entry was received; absent when none is pending. */
  oldestPendingAt?: Date;
  /** Entries given up on. */
  dead: number;
}

/** Where the inbox gauges take their numbers from, once per scrape. */
export type InboxStatsSource = () => Promise<InboxQueueStats[]>;

/** The most entries of one status the ledger fallback reads (`listInbox`'s page limit). */
const LEDGER_PAGE = 1000;

/**
 * The store's inbox numbers: `store.inboxStats()` when the store has it. Until it does (it comes with another
 * branch), they are read from the ledger (`listInbox`): at most 1,000 entries of each status, newest first, so a
 * backlog past that is under-counted and its oldest entry missed. Replace this with `() => store.inboxStats()`
 * once every store has it.
 */
export function inboxStatsOf(store: HistoryStore): InboxStatsSource {
  const withStats = store as HistoryStore & { inboxStats?: InboxStatsSource };
  if (typeof withStats.inboxStats === 'function') return () => withStats.inboxStats!();
  return async () => {
    const [pending, dead] = await Promise.all([
      store.listInbox({ status: 'pending', limit: LEDGER_PAGE }),
      store.listInbox({ status: 'dead', limit: LEDGER_PAGE }),
    ]);
    const byQueue = new Map<string, InboxQueueStats>();
    const of = (queue: string) => byQueue.get(queue) ?? byQueue.set(queue, { queue, pending: 0, dead: 0 }).get(queue)!;
    for (const entry of pending) {
      const stats = of(entry.queue);
      stats.pending++;
      if (!stats.oldestPendingAt || entry.receivedAt < stats.oldestPendingAt) stats.oldestPendingAt = entry.receivedAt;
    }
    for (const entry of dead) of(entry.queue).dead++;
    return [...byQueue.values()];
  };
}
