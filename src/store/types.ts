/**
 * The history store's vocabulary. The store knows nothing of platforms or LLMs: a session is an id with
 * metadata, an append-only list of messages grouped in turns, and an optional runtime-state document.
 * The store's interfaces, one per capability, live in files named for them and are re-exported here.
 */

export type { ApiKeyStore } from './api-key-store.js';
export type { ConversationStore } from './conversation-store.js';
export type { HistoryStore } from './history-store.js';
export type { InboxStore } from './inbox-store.js';
export type { LeaseStore } from './lease-store.js';
export type { LockedConversation, LockedInbox, LockedSession } from './locked-session.js';
export type { MediaStore } from './media-store.js';
export type { SendBudgetStore } from './send-budget-store.js';
export type { StoreAdmin } from './store-admin.js';

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
  /** The platform accepted the message, then reported it undelivered, for this reason (see `noteUndelivered`). */
  deliveryError?: string;
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
