import type {
  AppendTurnOptions,
  AppendTurnResult,
  AttemptFailure,
  HistoryWindow,
  InboxEntry,
  InboxOutcome,
  NewMessage,
  NewTurnEvent,
  RuntimeState,
  SessionMetadata,
  StoredMessage,
} from './types.js';

/**
 * The conversation of a session held under its lock: every read and write here runs while no other process runs a
 * turn on the session, and every commit is fenced (refused with LockLostError, writing nothing, if the lock was lost
 * meanwhile). What `Agent` needs of a held session.
 */
export interface LockedConversation {
  readonly sessionId: string;
  loadWindow(window?: HistoryWindow): Promise<StoredMessage[]>;
  appendTurn(messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult>;
  getRuntimeState(): Promise<RuntimeState | null>;
  /** Merge `patch` into the session's metadata (creating the session if needed). Fenced like a commit. */
  updateMetadata(patch: SessionMetadata): Promise<void>;
  /**
   * Throws LockLostError when the handle already knows its lock is gone (its database connection dropped), without
   * a round trip. Call it before an effect outside the store that a retry would repeat, such as posting a reply.
   * Optional: a store whose locks cannot drop underneath their holder leaves it out.
   */
  assertHeld?(): void;
}

/** The session's inbox under the same lock: what the runner does with its entries between and with turns. */
export interface LockedInbox {
  /** The session's pending inbox entries, oldest first (a look only: no attempt is counted). */
  pendingInbox(limit?: number): Promise<InboxEntry[]>;
  /**
   * Take the next batch of pending entries and count an attempt on each, durably, before any work on them starts
   * (so a crash loop counts too): up to `limit` entries in order, stopping before a `solo` entry (one first is
   * taken alone). Empty when nothing is pending or the session's next attempt is not due yet. Fenced like a commit.
   */
  claimInbox(limit: number, worker: string): Promise<InboxEntry[]>;
  /**
   * The attempt on these entries failed in a way worth trying again (`retryAt`): they stay pending, and no worker
   * takes the session before then. Fenced like a commit. With `refundAttempt`, the attempt is not counted against the
   * entry's attempts (it was held up by a rate limit, which says nothing about the message): its ledger row stays,
   * and the next attempt has its number again.
   */
  deferInbox(ids: number[], failure: AttemptFailure, retryAt: Date, options?: { refundAttempt?: boolean }): Promise<void>;
  /** Give entries their final fate without a turn (a command answered, an entry dead-lettered). Fenced like a commit. */
  completeInbox(ids: number[], outcome: InboxOutcome, failure?: AttemptFailure): Promise<void>;
  /** Remember that part `part` of the reply to an entry was posted as `platformMessageId` (before the turn commits). */
  recordReplyPart(inboxId: number, part: number, platformMessageId: string): Promise<void>;
  /** Keep a generated turn with its entry, so a retry after a failed delivery sends it instead of generating again. */
  saveDraft(inboxId: number, draft: unknown): Promise<void>;
  /** Note what the user was told about an entry outside its reply (a "still working" note, an apology). */
  recordNotice(inboxId: number, text: string): Promise<void>;
  /**
   * Append events to an entry's turn log (what a streaming client is shown: text deltas, a restart), numbered on
   * from the last one, and tell `onTurnActivity` listeners. Fenced like a commit.
   */
  recordTurnEvents(inboxId: number, events: NewTurnEvent[]): Promise<void>;
}

/** What `withSessionLock` hands its callback: the conversation and its inbox, under one lock. */
export interface LockedSession extends LockedConversation, LockedInbox {}
