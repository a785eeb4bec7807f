/**
 * The history store's vocabulary. The store knows nothing of platforms or LLMs: a session is an id with
 * metadata, an append-only list of messages grouped in turns, and an optional runtime-state document.
 */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** An OpenAI-style function call requested by the assistant. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message as the caller hands it to `appendTurn`. */
export interface NewMessage {
  role: Role;
  content: string | null;
  /** Speaker name (a group-chat sender) or, on a tool message, the tool's name. */
  name?: string;
  toolCalls?: ToolCall[];
  /** On a `tool` message: the id of the call it answers. */
  toolCallId?: string;
  /** Free-form per-message data, e.g. `{ failed: true }` on a user message whose LLM call failed. */
  metadata?: Record<string, unknown>;
  /** When the message was written; default the commit time (an import keeps the original time). */
  createdAt?: Date;
}

/** A message as it was committed. `seq` runs 1, 2, 3, … per session, without gaps. */
export interface StoredMessage extends NewMessage {
  sessionId: string;
  seq: number;
  /** The turn this message was committed in (the session's version after that commit). */
  turn: number;
  createdAt: Date;
}

export interface SessionMetadata {
  agentName?: string;
  userId?: string;
  platform?: string;
  [key: string]: unknown;
}

/** `{ [runtimeId]: { [turnId]: state } }`: e.g. a native runtime's tool-call ids per turn. */
export type RuntimeState = Record<string, Record<string, unknown>>;

export interface SessionInfo {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  metadata: SessionMetadata;
  messageCount: number;
  /** Incremented by every committed turn; the fencing token. */
  version: number;
}

export interface ListSessionsFilter {
  /** Only ids starting with this prefix. */
  prefix?: string;
  /** Only sessions updated at or after this time. */
  updatedSince?: Date;
  /** Page size (default 50, at most 1000). */
  limit?: number;
  /** Opaque cursor returned by the previous page. */
  cursor?: string;
}

export interface SessionPage {
  sessions: SessionInfo[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Which part of the history the next LLM call sees. Turns are never cut: the window starts at a turn. */
export interface HistoryWindow {
  /** At most this many messages (the last turn is always included whole). Default: all. */
  maxMessages?: number;
  /** At most about this many tokens (estimated at 4 characters a token). */
  maxTokens?: number;
}

export interface AppendTurnOptions {
  /** Platform event id: a second commit with the same id is refused as `already_processed`. */
  eventId?: string;
  /** Runtime state to store with the turn: each runtime id given replaces that runtime's entry; others are kept. */
  runtimeState?: RuntimeState;
  /** Metadata recorded when this turn creates the session (ignored afterwards). */
  metadata?: SessionMetadata;
  /**
   * Inbox entries this turn answers: marked done in the same commit, so they are answered exactly once. They may
   * belong to another session whose lock the caller also holds (a chat whose active conversation is this one).
   */
  completeInbox?: number[];
}

export type AppendTurnResult =
  | { status: 'committed'; firstSeq: number; lastSeq: number; version: number }
  | { status: 'already_processed' };

/**
 * A session held under its lock: every read and write here runs while no other process runs a turn on
 * the session, and every commit is fenced (refused if the lock was lost meanwhile).
 */
export interface LockedSession {
  readonly sessionId: string;
  loadWindow(window?: HistoryWindow): Promise<StoredMessage[]>;
  appendTurn(messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult>;
  getRuntimeState(): Promise<RuntimeState | null>;
  /** Merge `patch` into the session's metadata (creating the session if needed). Fenced like a commit. */
  updateMetadata(patch: SessionMetadata): Promise<void>;
  /** The session's pending inbox entries, oldest first. */
  pendingInbox(limit?: number): Promise<InboxEntry[]>;
  /** Mark entries done without a turn (a command, a refused sender, an entry given up on). Fenced like a commit. */
  completeInbox(ids: number[], outcome: InboxOutcome): Promise<void>;
  /** Remember that part `part` of the reply to an entry was posted as `platformMessageId` (before the turn commits). */
  recordReplyPart(inboxId: number, part: number, platformMessageId: string): Promise<void>;
  /**
   * Throws LockLostError when the handle already knows its lock is gone (its database connection dropped), without
   * a round trip. Call it before an effect outside the store that a retry would repeat, such as posting a reply.
   * Optional: a store whose locks cannot drop underneath their holder leaves it out.
   */
  assertHeld?(): void;
}

/** An inbound platform event waiting for (or done with) its turn. The store treats the payload as opaque. */
export interface InboxEntry<Payload = unknown> {
  id: number;
  sessionId: string;
  eventKey: string;
  payload: Payload;
  receivedAt: Date;
  /** Reply parts already posted for this entry by an earlier attempt (a worker that died before committing). */
  replyParts: ReplyPart[];
}

export interface InboxEntryInput {
  sessionId: string;
  /** Unique per platform event: a second entry with the same key is a duplicate. */
  eventKey: string;
  /** Which workers take the entry (a runner works on its own platform's queue); default ''. */
  queue?: string;
  payload: unknown;
}

export type InboxOutcome = 'done' | 'skipped' | 'failed';

export interface ReplyPart {
  part: number;
  platformMessageId: string;
}

/** A named lock held by this process until released or until the process dies (leader election, shards). */
export interface Lease {
  readonly name: string;
  /** Resolves if the lease is lost underneath its holder (its connection dropped): the holder must stop. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for another process's turn to finish before `SessionBusyError`; 0: do not wait. Default 30 s. */
  waitMs?: number;
}

export interface HistoryStore {
  readonly kind: 'postgres' | 'sqlite';
  /** Where the data lives, with any password removed: safe to print. */
  readonly location: string;

  /** Run `fn` while no other process (or caller in this one) runs a turn on `sessionId`. */
  withSessionLock<T>(sessionId: string, fn: (session: LockedSession) => Promise<T>, options?: LockOptions): Promise<T>;

  /** Commit one turn under the session's lock (a shorthand for `withSessionLock` + `appendTurn`). */
  appendTurn(sessionId: string, messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult>;

  /** Create the session if it does not exist; two concurrent calls create one session. */
  ensureSession(sessionId: string, metadata?: SessionMetadata): Promise<SessionInfo>;
  getSession(sessionId: string): Promise<SessionInfo | null>;
  listSessions(filter?: ListSessionsFilter): Promise<SessionPage>;
  /** The last messages within `window`, oldest first, starting at a turn boundary. */
  loadWindow(sessionId: string, window?: HistoryWindow): Promise<StoredMessage[]>;
  /** Every message of the session, oldest first. */
  fullHistory(sessionId: string): Promise<StoredMessage[]>;
  getRuntimeState(sessionId: string): Promise<RuntimeState | null>;
  /** Delete the session with its messages; false when there was none. */
  deleteSession(sessionId: string): Promise<boolean>;
  /**
   * Record an inbound event for its session's turn. `eventKey` is unique: a redelivered event reports
   * `duplicate` and is not recorded again. Returns once the entry is durable.
   */
  enqueueInbox(entry: InboxEntryInput): Promise<{ id: number | null; duplicate: boolean }>;
  /** Sessions with pending inbox entries (in `queue`, or in any), the one waiting longest first. */
  pendingInboxSessions(limit?: number, queue?: string): Promise<string[]>;
  /**
   * Delete inbox entries finished before `doneBefore` (with their reply records); pending ones are never touched.
   * Their event keys stop de-duplicating then: keep them longer than any platform redelivers. Returns the count.
   */
  purgeInbox(doneBefore: Date): Promise<number>;
  /** Call `listener` with the session id soon after any process enqueues an entry (best effort: pair it with polling). */
  onInboxActivity(listener: (sessionId: string) => void): Promise<() => Promise<void>>;
  /** Take the named lease if no live process holds it; null when it is held. */
  tryAcquireLease(name: string): Promise<Lease | null>;

  /** Schema version present in the database and the latest this code knows. */
  schemaVersion(): Promise<{ current: number; latest: number }>;
  close(): Promise<void>;
}
