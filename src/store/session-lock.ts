import { LockLostError } from './errors.js';
import type { LockedConversation, LockedInbox, LockedSession } from './locked-session.js';
import { assertRuntimeStateSize } from './runtime-state.js';
import { assertValidSessionId } from './session-id.js';
import type {
  AppendTurnOptions,
  AppendTurnResult,
  AttemptFailure,
  HistoryWindow,
  InboxEntry,
  InboxOutcome,
  LockOptions,
  NewMessage,
  NewTurnEvent,
  RuntimeState,
  SessionMetadata,
  StoredMessage,
} from './types.js';

const DEFAULT_LOCK_WAIT_MS = 30_000;
const DEFAULT_PENDING_LIMIT = 100;

/**
 * A session lock as a backend holds it: each call runs the backend's SQL on the lock (its connection on Postgres,
 * its owner token on SQLite), every write fenced there, so a lock lost underneath refuses the write and writes
 * nothing (LockLostError). Arguments arrive checked; the handle around it (`withSessionLock`) does the rest.
 */
export interface HeldSessionLock extends LockedInbox, Pick<LockedConversation, 'getRuntimeState' | 'updateMetadata'> {
  /** The window loaded with the lock (`LockOptions.preload`), if one was asked for. */
  readonly preloaded?: StoredMessage[];
  /** Set once the backend knows the lock is gone without asking (its connection dropped): the drop's error. */
  readonly lostWith?: Error;
  loadWindow(window: HistoryWindow): Promise<StoredMessage[]>;
  /** Commit a turn; `handedOver` when the lock went with the commit (`releaseLock`). */
  appendTurn(messages: NewMessage[], options: AppendTurnOptions): Promise<{ committed: AppendTurnResult; handedOver: boolean }>;
  /**
   * The callback is done: free the lock, unless the commit handed it over already. `failure` is what the callback
   * threw, if anything (a backend may then distrust the connection).
   */
  release(outcome: { handedOver: boolean; failure?: unknown }): void;
}

/**
 * Take the lock of `sessionId` within `waitMs` (0: do not wait) or throw SessionBusyError; with `preload`, load
 * that window with it.
 */
export type AcquireSessionLock = (sessionId: string, waitMs: number, preload?: HistoryWindow) => Promise<HeldSessionLock>;

/**
 * `withSessionLock`, written once for every backend: checks the session id, bounds the wait, hands `fn` a
 * LockedSession and frees the lock when `fn` is done, whichever way it ends.
 */
export async function withSessionLock<T>(
  acquire: AcquireSessionLock,
  sessionId: string,
  fn: (session: LockedSession) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  assertValidSessionId(sessionId);
  const waitMs = Math.max(0, Math.round(options.waitMs ?? DEFAULT_LOCK_WAIT_MS));
  const held = await acquire(sessionId, waitMs, options.preload);
  const session = new HeldLockedSession(sessionId, held, options.preload);
  let failure: unknown;
  try {
    return await fn(session);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // The lock may soon be another caller's (on Postgres, on this same connection): the handle must not pass for it.
    session.ended = true;
    held.release({ handedOver: session.handedOver, failure });
  }
}

/**
 * The handle `withSessionLock` passes to its callback. Calls run one after another (a reply being recorded while a
 * turn loads or commits would otherwise put two queries on one connection at once). Once the callback is done or a
 * commit released the lock, every call rejects with LockLostError without a round trip; once the backend knows its
 * lock dropped, with a LockLostError whose `cause` is the drop's error (so `isStoreUnreachable` is true for it).
 */
class HeldLockedSession implements LockedSession {
  ended = false;
  /** A commit released the lock (`releaseLock`): there is nothing left to unlock. */
  handedOver = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** The window loaded with the lock, for the first `loadWindow` that asks for it. */
  private preloaded?: { window: HistoryWindow; messages: StoredMessage[] };

  constructor(
    readonly sessionId: string,
    private readonly held: HeldSessionLock,
    preload: HistoryWindow | undefined,
  ) {
    if (preload && held.preloaded) this.preloaded = { window: preload, messages: held.preloaded };
  }

  assertHeld(): void {
    if (this.held.lostWith) throw new LockLostError(this.sessionId, { cause: this.held.lostWith });
    if (this.ended || this.handedOver) throw new LockLostError(this.sessionId);
  }

  private serial<T>(op: (held: HeldSessionLock) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      this.assertHeld();
      return op(this.held);
    });
    this.tail = result.catch(() => {});
    return result;
  }

  loadWindow(window: HistoryWindow = {}): Promise<StoredMessage[]> {
    const preloaded = this.preloaded;
    this.preloaded = undefined;
    if (preloaded && sameWindow(preloaded.window, window) && !this.ended) return Promise.resolve(preloaded.messages);
    return this.serial((held) => held.loadWindow(window));
  }

  appendTurn(messages: NewMessage[], options: AppendTurnOptions = {}): Promise<AppendTurnResult> {
    this.preloaded = undefined;
    if (messages.length === 0) return Promise.reject(new TypeError('appendTurn needs at least one message'));
    try {
      if (options.runtimeState) assertRuntimeStateSize(options.runtimeState);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serial(async (held) => {
      const { committed, handedOver } = await held.appendTurn(messages, options);
      if (handedOver) this.handedOver = true;
      return committed;
    });
  }

  getRuntimeState(): Promise<RuntimeState | null> {
    return this.serial((held) => held.getRuntimeState());
  }

  updateMetadata(patch: SessionMetadata): Promise<void> {
    this.preloaded = undefined;
    return this.serial((held) => held.updateMetadata(patch));
  }

  pendingInbox(limit = DEFAULT_PENDING_LIMIT): Promise<InboxEntry[]> {
    return this.serial((held) => held.pendingInbox(limit));
  }

  claimInbox(limit: number, worker: string): Promise<InboxEntry[]> {
    return this.serial((held) => held.claimInbox(limit, worker));
  }

  deferInbox(ids: number[], failure: AttemptFailure, retryAt: Date, options: { refundAttempt?: boolean } = {}): Promise<void> {
    return this.serial((held) => held.deferInbox(ids, failure, retryAt, options));
  }

  completeInbox(ids: number[], outcome: InboxOutcome, failure?: AttemptFailure): Promise<void> {
    return this.serial((held) => held.completeInbox(ids, outcome, failure));
  }

  recordReplyPart(inboxId: number, part: number, platformMessageId: string): Promise<void> {
    return this.serial((held) => held.recordReplyPart(inboxId, part, platformMessageId));
  }

  saveDraft(inboxId: number, draft: unknown): Promise<void> {
    return this.serial((held) => held.saveDraft(inboxId, draft));
  }

  recordNotice(inboxId: number, text: string): Promise<void> {
    return this.serial((held) => held.recordNotice(inboxId, text));
  }

  recordTurnEvents(inboxId: number, events: NewTurnEvent[]): Promise<void> {
    return this.serial((held) => held.recordTurnEvents(inboxId, events));
  }
}

function sameWindow(a: HistoryWindow, b: HistoryWindow): boolean {
  return a.maxMessages === b.maxMessages && a.maxTokens === b.maxTokens;
}
