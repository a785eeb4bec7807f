import { InvalidInputError } from './errors.js';
import type {
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
  TurnEvent,
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

export function toReplyPart(row: { part: number | string; platform_message_id: string }): ReplyPart {
  return { part: Number(row.part), platformMessageId: row.platform_message_id };
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

/**
 * A turn event as both stores select it. `data` is JSON text on both (Postgres selects `data::text`): a JSON string
 * scalar handed over already parsed could not be told apart from JSON text, and would be parsed twice.
 */
export interface TurnEventRow {
  seq: number | string;
  kind: string;
  data: string;
  created_at: Date | number;
}

export function toTurnEvent(row: TurnEventRow): TurnEvent {
  return { seq: Number(row.seq), kind: row.kind, data: JSON.parse(row.data) as unknown, at: new Date(row.created_at) };
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
