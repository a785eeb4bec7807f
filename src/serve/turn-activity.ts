import type { InboxStore } from '../store/types.js';

/** News of one inbox entry, for one follower: `next` resolves at once if news came since the last call. */
export interface EntryWatch {
  /** Resolves on news, after `timeoutMs`, or when `signal` aborts, whichever comes first. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

interface Watcher {
  news: boolean;
  wake?: () => void;
}

/**
 * One `onTurnActivity` subscription for the whole process, fanned out to the followers of each entry (every open
 * stream would otherwise hold a LISTEN connection of its own). Notifications only shorten waits: followers poll
 * too, since a notification can be missed (a LISTEN reconnecting, another process on SQLite).
 */
export class TurnActivity {
  private readonly watchers = new Map<number, Set<Watcher>>();
  private unlisten?: () => Promise<void>;

  async start(store: Pick<InboxStore, 'onTurnActivity'>): Promise<void> {
    this.unlisten = await store.onTurnActivity((inboxId) => {
      // 0: notifications may have been missed (a reconnect): everyone looks again.
      if (inboxId === 0) for (const set of this.watchers.values()) notify(set);
      else notify(this.watchers.get(inboxId));
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    for (const set of this.watchers.values()) notify(set);
  }

  /** Start watching entry `inboxId`: news from now on is kept until `next` takes it. */
  watch(inboxId: number): EntryWatch {
    const watcher: Watcher = { news: false };
    const set = this.watchers.get(inboxId) ?? new Set<Watcher>();
    this.watchers.set(inboxId, set);
    set.add(watcher);
    return {
      next: (timeoutMs, signal) =>
        new Promise<void>((resolve) => {
          if (watcher.news || signal?.aborted) {
            watcher.news = false;
            return resolve();
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            watcher.wake = undefined;
            watcher.news = false;
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          signal?.addEventListener('abort', done, { once: true });
          watcher.wake = done;
        }),
      close: () => {
        set.delete(watcher);
        if (set.size === 0 && this.watchers.get(inboxId) === set) this.watchers.delete(inboxId);
        watcher.wake?.();
      },
    };
  }
}

function notify(set: Set<Watcher> | undefined): void {
  for (const watcher of set ?? []) {
    watcher.news = true;
    watcher.wake?.();
  }
}
