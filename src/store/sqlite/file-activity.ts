import { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';

/**
 * SQLite has no NOTIFY: a write wakes the listeners of this process only (other processes find it by polling).
 * Every store open on one database file in this process shares the file's activity, as Postgres's listeners share
 * a channel; an in-memory database, which no other store can open, has its own.
 */
export interface FileActivity {
  /** A new inbox entry is pending for this session id. */
  readonly inbox: Channel<string>;
  /** An entry's turn log or followed fate has news: its inbox id. */
  readonly turns: Channel<number>;
  /** The store is closing: its listeners go, and the file's activity with the last store on it. */
  leave(): void;
}

export interface Channel<T> {
  emit(value: T): void;
  /** Listen until the returned function is called, or the store leaves. */
  on(listener: (value: T) => void): () => void;
}

/** The files stores of this process have open, by real path (two spellings of one file are one file). */
const openFiles = new Map<string, { inbox: EventEmitter; turns: EventEmitter; stores: number }>();

/** Join the activity of `file` (open already, so its real path can be known). */
export function joinFileActivity(file: string): FileActivity {
  const key = file === ':memory:' ? undefined : realpathSync(file);
  const shared = key === undefined ? undefined : openFiles.get(key);
  const emitters = shared ?? { inbox: new EventEmitter().setMaxListeners(0), turns: new EventEmitter().setMaxListeners(0), stores: 0 };
  emitters.stores++;
  if (key !== undefined && !shared) openFiles.set(key, emitters);
  // This store's listeners, removed when it leaves: a closed store hears nothing more of the others.
  const mine = new Set<() => void>();
  const channel = <T>(emitter: EventEmitter): Channel<T> => ({
    emit: (value) => emitter.emit('activity', value),
    on: (listener) => {
      emitter.on('activity', listener);
      const off = () => {
        emitter.off('activity', listener);
        mine.delete(off);
      };
      mine.add(off);
      return off;
    },
  });
  let left = false;
  return {
    inbox: channel<string>(emitters.inbox),
    turns: channel<number>(emitters.turns),
    leave: () => {
      if (left) return;
      left = true;
      for (const off of [...mine]) off();
      if (--emitters.stores === 0 && key !== undefined) openFiles.delete(key);
    },
  };
}
