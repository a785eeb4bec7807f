import { unreadablePayload, viewInboxPayload } from '../runner/inbox-payload.js';
import type { ApiKeyRecord, InboxRecord, InboxTimeline, SessionInfo, StoredMessage } from '../store/types.js';

/** How the API shows the store's records: plain JSON, dates as ISO strings, absent fields left out. */

export function apiMessage(m: StoredMessage) {
  return {
    seq: m.seq,
    turn: m.turn,
    role: m.role,
    content: m.content,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.toolCalls?.length ? { toolCalls: m.toolCalls } : {}),
    ...(m.toolCallId !== undefined ? { toolCallId: m.toolCallId } : {}),
    ...(m.metadata && Object.keys(m.metadata).length > 0 ? { metadata: m.metadata } : {}),
    createdAt: m.createdAt.toISOString(),
  };
}

export function apiSession(s: SessionInfo) {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    metadata: s.metadata,
    messageCount: s.messageCount,
    version: s.version,
  };
}

export function apiKey(k: ApiKeyRecord) {
  return {
    name: k.name,
    ...(k.sessionsPrefix !== undefined ? { sessionsPrefix: k.sessionsPrefix } : {}),
    createdAt: k.createdAt.toISOString(),
    ...(k.revokedAt ? { revokedAt: k.revokedAt.toISOString() } : {}),
  };
}

export function apiInboxRecord(r: InboxRecord) {
  const { text } = viewInboxPayload(r.payload);
  const payloadError = unreadablePayload(r);
  return {
    id: r.id,
    sessionId: r.sessionId,
    eventKey: r.eventKey,
    queue: r.queue,
    status: r.status,
    ...(text !== undefined ? { text } : {}),
    ...(payloadError !== undefined ? { payloadError } : {}),
    receivedAt: r.receivedAt.toISOString(),
    ...(r.doneAt ? { doneAt: r.doneAt.toISOString() } : {}),
    attempts: r.attempts,
    ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt.toISOString() } : {}),
    ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
    redeliveries: r.redeliveries,
    ...(r.answeredBy ? { answeredBy: r.answeredBy } : {}),
  };
}

export function apiInboxTimeline(t: InboxTimeline) {
  return {
    entry: apiInboxRecord(t.entry),
    attempts: t.attempts.map((a) => ({
      attempt: a.attempt,
      worker: a.worker,
      startedAt: a.startedAt.toISOString(),
      ...(a.endedAt ? { endedAt: a.endedAt.toISOString() } : {}),
      stage: a.stage,
      ...(a.errorClass ? { errorClass: a.errorClass } : {}),
      ...(a.error !== undefined ? { error: a.error } : {}),
    })),
    replyParts: t.replyParts,
    notices: t.notices.map((n) => ({ at: n.at.toISOString(), text: n.text })),
  };
}
