import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';
import type {
  StoredMedia,
  ApiKeyRecord,
  InboxAttempt,
  InboxEntry,
  InboxQueueStats,
  InboxRecord,
  InboxStatus,
  InboxTimeline,
  NewTurnEvent,
  ReplyPart,
  SessionInfo,
  StoredMessage,
  ToolCall,
  TurnProgress,
} from './types.js';

/** The column shape both stores select messages and sessions in (SQLite hands JSON columns over as text). */
export interface MessageRow {
  seq: number | string;
  turn: number | string;
  role: string;
  content: string | null;
  name: string | null;
  tool_calls: ToolCall[] | string | null;
  tool_call_id: string | null;
  metadata: Record<string, unknown> | string | null;
  created_at: Date | number;
}

export interface SessionRow {
  id: string;
  created_at: Date | number;
  updated_at: Date | number;
  metadata: Record<string, unknown> | string;
  message_count: number | string;
  version: number | string;
}

const json = <T>(v: T | string | null): T | undefined => (v === null ? undefined : typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function toStoredMessage(sessionId: string, row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    sessionId,
    seq: Number(row.seq),
    turn: Number(row.turn),
    role: row.role as StoredMessage['role'],
    content: row.content,
    createdAt: new Date(row.created_at),
  };
  if (row.name !== null) message.name = row.name;
  const toolCalls = json(row.tool_calls);
  if (toolCalls) message.toolCalls = toolCalls;
  if (row.tool_call_id !== null) message.toolCallId = row.tool_call_id;
  const metadata = json(row.metadata);
  if (metadata) message.metadata = metadata;
  return message;
}

export function toSessionInfo(row: SessionRow): SessionInfo {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    metadata: json(row.metadata) ?? {},
    messageCount: Number(row.message_count),
    version: Number(row.version),
  };
}

/** An inbox row as both stores select it (SQLite hands JSON over as text and times as milliseconds). */
export interface InboxRow {
  id: number;
  session_id: string;
  event_key: string;
  payload: unknown;
  received_at: Date | number;
  reply_parts: ReplyPart[] | string;
  attempts: number | string;
  draft: unknown;
}

export function toInboxEntry(row: InboxRow): InboxEntry {
  const draft = json(row.draft as string | null);
  return {
    id: Number(row.id),
    sessionId: row.session_id,
    eventKey: row.event_key,
    payload: json(row.payload as string | null) ?? null,
    receivedAt: new Date(row.received_at),
    replyParts: json(row.reply_parts) ?? [],
    attempts: Number(row.attempts),
    ...(draft !== undefined ? { draft } : {}),
  };
}

/** An inbox row with its ledger columns (`threadline inbox`). */
export interface InboxRecordRow {
  id: number | string;
  session_id: string;
  event_key: string;
  queue: string;
  payload: unknown;
  status: string;
  received_at: Date | number;
  done_at: Date | number | null;
  attempts: number | string;
  next_attempt_at: Date | number | null;
  last_error: string | null;
  redeliveries: number | string;
  turn_session: string | null;
  turn: number | string | null;
}

const time = (v: Date | number | null): Date | undefined => (v === null ? undefined : new Date(v));

export function toInboxRecord(row: InboxRecordRow): InboxRecord {
  const record: InboxRecord = {
    id: Number(row.id),
    sessionId: row.session_id,
    eventKey: row.event_key,
    queue: row.queue,
    payload: json(row.payload as string | null) ?? null,
    status: row.status as InboxStatus,
    receivedAt: new Date(row.received_at),
    attempts: Number(row.attempts),
    redeliveries: Number(row.redeliveries),
  };
  const doneAt = time(row.done_at);
  if (doneAt) record.doneAt = doneAt;
  const nextAttemptAt = time(row.next_attempt_at);
  if (nextAttemptAt) record.nextAttemptAt = nextAttemptAt;
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.turn_session !== null && row.turn !== null) record.answeredBy = { sessionId: row.turn_session, turn: Number(row.turn) };
  return record;
}

export interface InboxAttemptRow {
  attempt: number | string;
  worker: string;
  started_at: Date | number;
  ended_at: Date | number | null;
  stage: string;
  error_class: string | null;
  error: string | null;
}

export function toInboxAttempt(row: InboxAttemptRow): InboxAttempt {
  const attempt: InboxAttempt = { attempt: Number(row.attempt), worker: row.worker, startedAt: new Date(row.started_at), stage: row.stage };
  const endedAt = time(row.ended_at);
  if (endedAt) attempt.endedAt = endedAt;
  if (row.error_class !== null) attempt.errorClass = row.error_class as 'transient' | 'permanent';
  if (row.error !== null) attempt.error = row.error;
  return attempt;
}

/** The stage an attempt that answered its entry reached. */
export const COMMITTED_STAGE = 'committed';

/**
 * The entry's timeline. The attempt that answered an entry is the latest one (claims and the commit happen under
 * one lock): the commit does not write its end, to stay one statement, so it is read from the entry here.
 */
export function toInboxTimeline(
  entry: InboxRecord,
  attempts: InboxAttemptRow[],
  replies: Array<{ part: number | string; platform_message_id: string }>,
  notices: Array<{ sent_at: Date | number; text: string }>,
): InboxTimeline {
  const mapped = attempts.map(toInboxAttempt);
  const last = mapped.at(-1);
  if (last && !last.endedAt && entry.answeredBy && entry.doneAt) Object.assign(last, { endedAt: entry.doneAt, stage: COMMITTED_STAGE });
  return { entry, attempts: mapped, replyParts: replies.map(toReplyPart), notices: notices.map(toNotice) };
}

export function toReplyPart(row: { part: number | string; platform_message_id: string; delivery_error?: string | null }): ReplyPart {
  return { part: Number(row.part), platformMessageId: row.platform_message_id, ...(row.delivery_error ? { deliveryError: row.delivery_error } : {}) };
}

export function toNotice(row: { sent_at: Date | number; text: string }): { at: Date; text: string } {
  return { at: new Date(row.sent_at), text: row.text };
}

/**
 * Turn events as both stores write them, `data` as JSON text: absent data is stored as JSON null (the column is
 * NOT NULL), so a reader always gets the key back. Checked before any SQL runs, so both stores refuse alike.
 */
export function turnEventsToWrite(events: NewTurnEvent[]): Array<{ kind: string; data: string }> {
  return events.map((event, i) => {
    if (typeof event.kind !== 'string' || event.kind === '') throw new TypeError(`turn event ${i} has no kind: give each event a non-empty string kind`);
    return { kind: event.kind, data: JSON.stringify(event.data ?? null) ?? 'null' };
  });
}

/** The most messages of the answering turn a progress row carries (as many as one page of `readMessages`). */
export const ANSWER_MESSAGES = 1000;

/**
 * A turn event inside a progress row's `events` array: `data` nested as the JSON value it is (never as JSON text,
 * so it is parsed exactly once, with the array), `at` in milliseconds since the epoch.
 */
export interface TurnEventJson {
  seq: number;
  kind: string;
  data: unknown;
  at: number;
}

/**
 * An entry's progress as both stores select it in one statement: the entry's fate, its last notice, up to
 * `limit + 1` turn events after the one asked for (the extra one only says there are more) and, once answered,
 * the answering turn's messages. The arrays are JSON: Postgres hands them over parsed, SQLite as text; an array is
 * never a string, so the two are told apart safely.
 */
export interface TurnProgressRow {
  session_id: string;
  status: string;
  last_error: string | null;
  turn_session: string | null;
  turn: number | string | null;
  last_notice: string | null;
  events: TurnEventJson[] | string;
  answer: MessageRow[] | string | null;
}

export function toTurnProgress(row: TurnProgressRow, limit: number): TurnProgress {
  const read = json(row.events) ?? [];
  const progress: TurnProgress = {
    sessionId: row.session_id,
    status: row.status as InboxStatus,
    events: read.slice(0, limit).map((e) => ({ seq: Number(e.seq), kind: e.kind, data: e.data, at: new Date(e.at) })),
    more: read.length > limit,
  };
  if (row.turn_session !== null && row.turn !== null) {
    const answeredBy = { sessionId: row.turn_session, turn: Number(row.turn) };
    progress.answeredBy = answeredBy;
    progress.answer = (json(row.answer) ?? []).map((m) => toStoredMessage(answeredBy.sessionId, m));
  }
  if (row.last_error !== null) progress.lastError = row.last_error;
  if (row.last_notice !== null) progress.lastNotice = row.last_notice;
  return progress;
}

export interface MediaRow {
  hash: string;
  mime: string;
  size: number | string;
  bytes: Buffer | Uint8Array;
  created_at: Date | number;
}

export function toStoredMedia(row: MediaRow): StoredMedia {
  return {
    hash: row.hash,
    mimeType: row.mime,
    size: Number(row.size),
    bytes: Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(Number(row.created_at)),
  };
}

/** The digest media are kept under; `putMedia` refuses bytes that do not match theirs. */
export function mediaHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function checkMediaHash(media: { hash: string; bytes: Uint8Array }): void {
  if (media.hash !== mediaHash(media.bytes)) throw new TypeError(`media hash ${media.hash.slice(0, 16)}… is not the SHA-256 of its bytes`);
}

export interface ApiKeyRow {
  name: string;
  sessions_prefix: string | null;
  created_at: Date | number;
  revoked_at: Date | number | null;
}

export function toApiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  const key: ApiKeyRecord = { name: row.name, createdAt: new Date(row.created_at) };
  if (row.sessions_prefix !== null) key.sessionsPrefix = row.sessions_prefix;
  const revokedAt = time(row.revoked_at);
  if (revokedAt) key.revokedAt = revokedAt;
  return key;
}

export interface InboxQueueStatsRow {
  queue: string;
  pending: number | string;
  oldest_pending_at: Date | number | null;
  dead: number | string;
}

export function toInboxQueueStats(row: InboxQueueStatsRow): InboxQueueStats {
  const stats: InboxQueueStats = { queue: row.queue, pending: Number(row.pending), dead: Number(row.dead) };
  const oldest = time(row.oldest_pending_at);
  if (oldest) stats.oldestPendingAt = oldest;
  return stats;
}

/** Cursors are opaque to callers: base64url of the sort key of the last row of a page. */
export function encodeCursor(updatedKey: string | number, id: string): string {
  return Buffer.from(JSON.stringify([String(updatedKey), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { updatedKey: string; id: string } {
  try {
    const [updatedKey, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof updatedKey === 'string' && typeof id === 'string') return { updatedKey, id };
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError('bad list cursor: pass back exactly the nextCursor of the previous page');
}
