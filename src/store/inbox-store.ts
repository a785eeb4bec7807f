import type { InboxEntryInput, InboxFilter, InboxQueueSelection, InboxQueueStats, InboxRecord, InboxTimeline, TurnProgress } from './types.js';

/**
 * The durable inbox outside any session lock: recording events, finding sessions with work, the fate ledger and
 * its admin (retry, purge), and following a turn (its progress, activity listeners). Work on a session's entries
 * runs under its lock (`LockedInbox`).
 */
export interface InboxStore {
  /**
   * Record an inbound event for its session's turn. `eventKey` is unique: a redelivered event reports
   * `duplicate` and is not recorded again. Returns once the entry is durable.
   */
  enqueueInbox(entry: InboxEntryInput): Promise<{ id: number | null; duplicate: boolean }>;
  /**
   * Sessions with pending inbox entries due now (in `queue`, or in any), the one waiting longest first. A selection
   * with `also` takes that queue's entries too, but only those whose session id starts with its `sessionPrefix`.
   */
  pendingInboxSessions(limit?: number, queue?: string | InboxQueueSelection): Promise<string[]>;
  /** Inbox entries as the ledger shows them, newest first. */
  listInbox(filter?: InboxFilter): Promise<InboxRecord[]>;
  /**
   * One entry by inbox id (a number), or by event key or platform event id (a string: the whole key, or its last
   * part, the newest entry ending so), with its attempts, reply parts and notices; null when unknown.
   */
  inboxTimeline(idOrEventKey: number | string): Promise<InboxTimeline | null>;
  /** Put a dead entry back to pending with a fresh attempt budget; false when it is not dead. */
  retryInbox(id: number): Promise<boolean>;
  /**
   * Delete inbox entries finished before `doneBefore` (with their reply records); pending ones are never touched.
   * Their event keys stop de-duplicating then: keep them longer than any platform redelivers. Returns the count.
   */
  purgeInbox(doneBefore: Date): Promise<number>;
  /**
   * The platform reported that a message it had accepted was not delivered (a WhatsApp \`failed\` status): keep its
   * reason (one line) on the reply part posted as \`platformMessageId\` for an entry of \`queue\` (message ids are
   * unique per platform account, not across them). Returns the entries it was a part of; none when it was not ours.
   */
  noteUndelivered(queue: string, platformMessageId: string, error: string): Promise<number[]>;
  /** Call `listener` with the session id soon after any process enqueues an entry (best effort: pair it with polling). */
  onInboxActivity(listener: (sessionId: string) => void): Promise<() => Promise<void>>;
  /** Pending and dead entries per queue (every queue that has any entry). */
  inboxStats(): Promise<InboxQueueStats[]>;
  /**
   * What a follower of entry `inboxId` needs, in one statement (one snapshot, one round trip): its fate, the last
   * notice, its turn events after `afterSeq` (oldest first, at most `limit`: default and cap 1000) and, once it is
   * answered, the answering turn's messages. Null when there is no such entry.
   */
  turnProgress(inboxId: number, afterSeq?: number, limit?: number): Promise<TurnProgress | null>;
  /**
   * Call `listener` with the inbox id soon after any process records turn events for an entry, gives a `followed`
   * entry its final fate, or retries a dead `followed` entry (best effort, '' never: pair it with polling; on
   * Postgres, after a LISTEN reconnect it is called with 0: look again). On SQLite only this process's writes are
   * heard: a follower in another process must poll `turnProgress`.
   */
  onTurnActivity(listener: (inboxId: number) => void): Promise<() => Promise<void>>;
}
