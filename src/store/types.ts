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
  /** Runtime state to store with the turn: each runtime id given replaces that runtime's entry; others are kept. */
  runtimeState?: RuntimeState;
  /** Metadata recorded when this turn creates the session (ignored afterwards). */
  metadata?: SessionMetadata;
  /**
   * Inbox entries this turn answers: marked done in the same commit, so they are answered exactly once. They may
   * belong to another session whose lock the caller also holds (a chat whose active conversation is this one).
   */
  completeInbox?: number[];
  /**
   * Release the session's lock with this commit (the turn is the holder's last act): one round trip less. No other
   * holder can take the lock before the commit is visible; the handle refuses every later call.
   */
  releaseLock?: boolean;
}

/** A committed turn: its messages' seqs and the session's version after it. */
export interface AppendTurnResult {
  firstSeq: number;
  lastSeq: number;
  version: number;
}

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
  /** The session's pending inbox entries, oldest first (a look only: no attempt is counted). */
  pendingInbox(limit?: number): Promise<InboxEntry[]>;
  /**
   * Take the next batch of pending entries and count an attempt on each, durably, before any work on them starts
   * (so a crash loop counts too): up to `limit` entries in order, stopping before a `solo` entry (one first is
   * taken alone). Empty when nothing is pending or the session's next attempt is not due yet.
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
  /**
   * Throws LockLostError when the handle already knows its lock is gone (its database connection dropped), without
   * a round trip. Call it before an effect outside the store that a retry would repeat, such as posting a reply.
   * Optional: a store whose locks cannot drop underneath their holder leaves it out.
   */
  assertHeld?(): void;
}

/** How an attempt on an inbox entry ended badly, for the ledger. */
export interface AttemptFailure {
  /** The pipeline stage it reached: claimed, generating, delivering, committing. */
  stage: string;
  errorClass: 'transient' | 'permanent';
  /** One line. */
  error: string;
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
  /** Attempts counted so far, this one included when the entry was claimed. */
  attempts: number;
  /** A turn generated by an earlier attempt whose delivery failed (see `saveDraft`). */
  draft?: unknown;
}

export interface InboxEntryInput {
  sessionId: string;
  /** Unique per platform event: a second entry with the same key is a duplicate (its redelivery is counted). */
  eventKey: string;
  /** Which workers take the entry (a runner works on its own bot's queue, `<platform>:<bot id>`); default ''. */
  queue?: string;
  payload: unknown;
  /** Never batched with other entries (a command). */
  solo?: boolean;
  /** Record the event as refused with this reason: done at once, never worked on, but de-duplicated. */
  refused?: string;
  /**
   * Someone follows this entry's turn live (an HTTP client): its final fate is announced to `onTurnActivity`
   * listeners. Off by default, so bot entries pay nothing for it.
   */
  followed?: boolean;
}

/**
 * The queue a worker takes entries from, and optionally part of another one: the entries of `also.queue` whose
 * session id starts with `also.sessionPrefix` (a bot's entries left in its platform's shared queue by an older
 * version, which named queues by platform only).
 */
export interface InboxQueueSelection {
  queue: string;
  also?: { queue: string; sessionPrefix: string };
}

/** pending: waiting or being worked on; done: answered; refused: never to be answered; dead: given up on. */
export type InboxStatus = 'pending' | 'done' | 'refused' | 'dead';
export type InboxOutcome = Exclude<InboxStatus, 'pending'>;

/** An inbox entry as the ledger shows it (`threadline inbox`). */
export interface InboxRecord<Payload = unknown> {
  id: number;
  sessionId: string;
  eventKey: string;
  queue: string;
  payload: Payload;
  status: InboxStatus;
  receivedAt: Date;
  doneAt?: Date;
  attempts: number;
  /** Not before this time is the entry tried again (a deferred attempt). */
  nextAttemptAt?: Date;
  lastError?: string;
  /** Times the platform delivered the same event again. */
  redeliveries: number;
  /** The turn that answered it: the conversation's session id and turn number. */
  answeredBy?: { sessionId: string; turn: number };
}

export interface InboxAttempt {
  attempt: number;
  /** The worker: `host:pid/queue` (`host:pid` before runners named their queue here). */
  worker: string;
  startedAt: Date;
  endedAt?: Date;
  stage: string;
  errorClass?: 'transient' | 'permanent';
  error?: string;
}

/** Everything the ledger knows about one entry, for `threadline inbox explain`. */
export interface InboxTimeline<Payload = unknown> {
  entry: InboxRecord<Payload>;
  attempts: InboxAttempt[];
  replyParts: ReplyPart[];
  notices: Array<{ at: Date; text: string }>;
}

export interface InboxFilter {
  status?: InboxStatus;
  sessionId?: string;
  /** At most this many, newest first (default 50, at most 1000). */
  limit?: number;
}

export interface ReplyPart {
  part: number;
  platformMessageId: string;
}

/** An event of an entry's turn log, as the turn's worker records it. The store treats `data` as opaque JSON. */
export interface NewTurnEvent {
  kind: string;
  data: unknown;
}

/** A recorded turn event; `seq` runs 1, 2, 3, … per inbox entry, without gaps. */
export interface TurnEvent extends NewTurnEvent {
  seq: number;
  at: Date;
}

/**
 * An entry's fate and its turn log after some event, as one snapshot shows them: every event recorded before the
 * fate was given is in `events` (or after them, when `more`), so a final fate with `more` false means the log has
 * been read to its end.
 */
export interface TurnProgress {
  sessionId: string;
  status: InboxStatus;
  /** The turn that answered it: the conversation's session id and turn number. */
  answeredBy?: { sessionId: string; turn: number };
  lastError?: string;
  /** The last notice recorded for the entry: what the user was told besides the reply (an apology). */
  lastNotice?: string;
  /** Turn events after the `afterSeq` asked for, oldest first. */
  events: TurnEvent[];
  /** Events after these exist already (the page was full): read on before taking the fate as the log's end. */
  more: boolean;
  /** With `answeredBy`: the answering turn's messages, oldest first (at most 1000). */
  answer?: StoredMessage[];
}

/** An API key as the store keeps it: only the key's SHA-256 digest, never the key. */
export interface ApiKeyRecord {
  name: string;
  /** The key may touch only sessions whose id starts with this; absent: every session (an operator key). */
  sessionsPrefix?: string;
  createdAt: Date;
  revokedAt?: Date;
}

/** The inbox of one queue at a glance, for metrics. */
export interface InboxQueueStats {
  queue: string;
  pending: number;
  /** When the oldest pending entry was received; absent when none is pending. */
  oldestPendingAt?: Date;
  dead: number;
}

export interface ReadMessagesOptions {
  /** Only messages with a greater seq. */
  afterSeq?: number;
  /** Only the messages of this turn. */
  turn?: number;
  /** At most this many, oldest first (default 100, at most 1000). */
  limit?: number;
}

/**
 * A budget of sends shared by every process on the store: a token bucket the store keeps without knowing what it
 * stands for (the runner's adapters name a bot, a chat, a channel).
 */
export interface SendBudgetScope {
  /** Any string of at most 500 characters; every process that names it takes from the same budget. */
  key: string;
  /** Sends per second the bucket refills with (above 0). */
  ratePerSec: number;
  /** Most tokens the bucket holds: sends allowed at once after a quiet spell (at least 1). A new scope starts full. */
  burst: number;
}

/**
 * Bytes a user sent (an image, a voice message, a file), kept by their SHA-256 so a retry never needs the
 * platform's (expiring) URL again, and one file sent twice is kept once.
 */
export interface StoredMedia {
  /** Lowercase hex SHA-256 of `bytes`. */
  hash: string;
  mimeType: string;
  size: number;
  bytes: Buffer;
  createdAt: Date;
}

/** An inbox entry's attachment (by its position in the message's `attachments`) as stored: its bytes' digest. */
export interface InboxMediaLink {
  position: number;
  hash: string;
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
  /**
   * Load this window with the lock (in the same round trip where the backend allows): the session's first
   * `loadWindow` with an equal window returns it.
   */
  preload?: HistoryWindow;
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
  /** A page of the session's messages, oldest first (empty when the session does not exist). */
  readMessages(sessionId: string, options?: ReadMessagesOptions): Promise<StoredMessage[]>;
  getRuntimeState(sessionId: string): Promise<RuntimeState | null>;
  /** Delete the session with its messages; false when there was none. */
  deleteSession(sessionId: string): Promise<boolean>;
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

  /**
   * Keep media bytes under their SHA-256 (`hash`, lowercase hex, checked against the bytes): storing the same
   * bytes again changes nothing.
   */
  putMedia(media: { hash: string; mimeType: string; bytes: Buffer }): Promise<void>;
  /** Media by digest; null when none is stored. */
  getMedia(hash: string): Promise<StoredMedia | null>;
  /**
   * Remember that attachment `position` of inbox entry `inboxId` is stored as `hash` (which must be stored): a later
   * attempt on the entry reads it from the store instead of downloading it again. Linking a position again keeps the
   * first link. Links go with their entry (purgeInbox); the media stay, referenced from the messages' metadata.
   */
  linkInboxMedia(inboxId: number, position: number, hash: string): Promise<void>;
  /** The entry's stored attachments, by position. */
  inboxMedia(inboxId: number): Promise<InboxMediaLink[]>;

  /** Store a new API key's digest under a unique name; throws `ApiKeyNameTakenError` when the name exists (revoked or not). */
  createApiKey(key: { name: string; keyHash: string; sessionsPrefix?: string }): Promise<ApiKeyRecord>;
  /** Every key, revoked ones included, by name. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revoke a key by name; false when there is no such key or it was revoked already. */
  revokeApiKey(name: string): Promise<boolean>;
  /** The live (not revoked) key with this digest; null when none. */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | null>;

  /**
   * Take one send from every scope, atomically for all of them and for every process on the store: when each bucket
   * holds a token now (refilled at its `ratePerSec` since it was last taken from, up to `burst`) and none is paused,
   * a token is taken from each and `waitMs` is 0. Otherwise nothing is taken, and `waitMs` says how long until every
   * scope would hold one: ask again then (another caller may get there first). Time is the database server's clock
   * on Postgres, this machine's on SQLite: one clock for every worker. Scopes named twice count once (the strictest).
   */
  takeSendBudget(scopes: SendBudgetScope[]): Promise<{ waitMs: number }>;
  /**
   * No take of `key` succeeds for `pauseMs` from now, in any process (a platform's 429 with its retry_after); after
   * the pause the bucket holds one token and refills from there. A pause already in force that ends later stays.
   */
  pauseSendScope(key: string, pauseMs: number): Promise<void>;
  /** Forget budgets neither taken from nor paused for `idleMs` (a forgotten scope comes back full); returns the count. */
  purgeSendBudgets(idleMs: number): Promise<number>;

  /** Take the named lease if no live process holds it; null when it is held. */
  tryAcquireLease(name: string): Promise<Lease | null>;

  /** Schema version present in the database and the latest this code knows. */
  schemaVersion(): Promise<{ current: number; latest: number }>;
  close(): Promise<void>;
}
