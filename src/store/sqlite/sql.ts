/** Every SQL statement of the SQLite store, in one place. */

const MESSAGE_COLUMNS = 'seq, turn, role, content, name, tool_calls, tool_call_id, metadata, created_at';
const SESSION_COLUMNS = 'id, created_at, updated_at, metadata, message_count, version';
/** Reply parts as JSON; json_patch onto {} drops a null deliveryError (a merge patch removes null members). */
const INBOX_ENTRY_COLUMNS = `i.id, i.session_id, i.event_key, i.payload, i.received_at, i.attempts, i.draft,
  (SELECT json_group_array(json_patch('{}', json_object('part', part, 'platformMessageId', platform_message_id, 'deliveryError', delivery_error)))
     FROM (SELECT part, platform_message_id, delivery_error FROM inbox_replies WHERE inbox_id = i.id ORDER BY part)) AS reply_parts`;
const INBOX_COLUMNS =
  'id, session_id, event_key, queue, payload, status, received_at, done_at, attempts, next_attempt_at, last_error, redeliveries, turn_session, turn';
const API_KEY_COLUMNS = 'name, sessions_prefix, created_at, revoked_at';

export const SQLITE_SQL = {
  getLock: `SELECT owner, pid, started FROM session_locks WHERE session_id = ?`,
  putLock: `INSERT INTO session_locks (session_id, owner, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,
              started = excluded.started, acquired_at = excluded.acquired_at`,
  releaseLock: `DELETE FROM session_locks WHERE session_id = ? AND owner = ?`,

  /** Creates or advances the session; message_count and version move together. */
  advanceSession: `
    INSERT INTO sessions AS t (id, created_at, updated_at, metadata, runtime_state, message_count, version)
    VALUES (@id, @now, @now, coalesce(@metadata, '{}'), @runtimeState, @count, 1)
    ON CONFLICT (id) DO UPDATE SET
      message_count = t.message_count + excluded.message_count,
      version       = t.version + 1,
      updated_at    = excluded.updated_at,
      runtime_state = coalesce(@runtimeState, t.runtime_state)
    RETURNING message_count, version`,
  insertMessage: `
    INSERT INTO messages (session_id, seq, turn, turn_start, role, content, name, tool_calls, tool_call_id, metadata, created_at)
    VALUES (@sessionId, @seq, @turn, @turnStart, @role, @content, @name, @toolCalls, @toolCallId, @metadata, @now)`,

  loadWindow: `
    SELECT ${MESSAGE_COLUMNS} FROM messages
     WHERE session_id = @id AND seq >= coalesce(
       (SELECT min(seq) FROM messages
         WHERE session_id = @id AND turn_start
           AND seq > (SELECT message_count FROM sessions WHERE id = @id) - @max),
       (SELECT max(seq) FROM messages WHERE session_id = @id AND turn_start),
       1)
     ORDER BY seq`,
  fullHistory: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY seq`,
  /** A page of messages, on the primary key. */
  readMessages: `SELECT ${MESSAGE_COLUMNS} FROM messages
                  WHERE session_id = @id AND seq > @after AND (@turn IS NULL OR turn = @turn)
                  ORDER BY seq LIMIT @limit`,

  /** A redelivery only counts itself (redeliveries > 0 in the answer); refused events are recorded finished. */
  enqueueInbox: `INSERT INTO inbox (event_key, session_id, payload, received_at, queue, solo, status, last_error, done_at, followed)
                 VALUES (@key, @sessionId, @payload, @now, @queue, @solo,
                         CASE WHEN @refused IS NULL THEN 'pending' ELSE 'refused' END, @refused,
                         CASE WHEN @refused IS NULL THEN NULL ELSE @now END, @followed)
                 ON CONFLICT (event_key) DO UPDATE SET redeliveries = redeliveries + 1
                 RETURNING id, redeliveries, status, followed`,
  /** Sessions whose pending entries are due (none waits for a later attempt); `@also` entries only under `@prefix`. */
  pendingInboxSessions: `SELECT session_id FROM inbox
                          WHERE status = 'pending'
                            AND (@queue IS NULL OR queue = @queue OR (queue = @also AND substr(session_id, 1, length(@prefix)) = @prefix))
                          GROUP BY session_id HAVING coalesce(max(next_attempt_at), 0) <= @now
                          ORDER BY min(id) LIMIT @limit`,
  pendingInbox: `SELECT ${INBOX_ENTRY_COLUMNS} FROM inbox i
                  WHERE i.session_id = ? AND i.status = 'pending' ORDER BY i.id LIMIT ?`,
  inboxEntryById: `SELECT ${INBOX_ENTRY_COLUMNS} FROM inbox i WHERE i.id = ?`,
  /** The next batch: nothing while an entry waits for a later attempt; else in order, stopping before a solo entry. */
  claimBatch: `
    SELECT id FROM (
      SELECT id, row_number() OVER (ORDER BY id) AS rn, sum(solo) OVER (ORDER BY id) AS solos
        FROM (SELECT id, solo FROM inbox WHERE session_id = @id AND status = 'pending' ORDER BY id LIMIT @limit))
     WHERE (rn = 1 OR solos = 0)
       AND NOT EXISTS (SELECT 1 FROM inbox WHERE session_id = @id AND status = 'pending' AND next_attempt_at > @now)
     ORDER BY id`,
  countAttempt: `UPDATE inbox SET attempts = attempts + 1, next_attempt_at = NULL WHERE id = ? RETURNING attempts`,
  startAttempt: `INSERT INTO inbox_attempts (inbox_id, attempt, worker, started_at) VALUES (?, ?, ?, ?)`,
  endAttempt: `UPDATE inbox_attempts SET ended_at = @now, stage = @stage, error_class = @errorClass, error = @error
                WHERE id = (SELECT max(id) FROM inbox_attempts WHERE inbox_id = @id) AND ended_at IS NULL`,
  deferInbox: `UPDATE inbox SET next_attempt_at = @retryAt, last_error = @error,
                                attempts = CASE WHEN @refund THEN max(attempts - 1, 0) ELSE attempts END
                WHERE id = @id AND status = 'pending'`,
  /** No row when the entry was not pending; `followed` says whether to announce its fate. */
  completeInbox: `UPDATE inbox SET status = @outcome, done_at = @now, last_error = coalesce(@error, last_error), draft = NULL, next_attempt_at = NULL
                  WHERE id = @id AND status = 'pending' RETURNING followed`,
  answerInbox: `UPDATE inbox SET status = 'done', done_at = @now, draft = NULL, turn_session = @sessionId, turn = @turn
                WHERE id = @id AND status = 'pending' RETURNING followed`,
  saveDraft: `UPDATE inbox SET draft = ? WHERE id = ? AND status = 'pending'`,
  recordNotice: `INSERT INTO inbox_notices (inbox_id, sent_at, text) VALUES (?, ?, ?)`,
  updateMetadata: `INSERT INTO sessions AS t (id, created_at, updated_at, metadata) VALUES (@id, @now, @now, @patch)
                   ON CONFLICT (id) DO UPDATE SET metadata = json_patch(t.metadata, excluded.metadata), updated_at = excluded.updated_at`,
  recordReplyPart: `INSERT INTO inbox_replies (inbox_id, part, platform_message_id) VALUES (?, ?, ?)
                    ON CONFLICT (inbox_id, part) DO UPDATE SET platform_message_id = excluded.platform_message_id`,
  lastTurnEventSeq: `SELECT coalesce(max(seq), 0) AS seq FROM turn_events WHERE inbox_id = ?`,
  insertTurnEvent: `INSERT INTO turn_events (inbox_id, seq, kind, data, created_at) VALUES (@inboxId, @seq, @kind, @data, @now)`,
  /**
   * A follower's look at an entry in one statement (one snapshot; see the Postgres statement): the entry, its last
   * notice, up to @limit + 1 turn events after @after, and once answered the answering turn's messages, as JSON text.
   */
  turnProgress: `
    SELECT i.session_id, i.status, i.last_error, i.turn_session, i.turn,
           (SELECT n.text FROM inbox_notices n WHERE n.inbox_id = i.id ORDER BY n.sent_at DESC, n.rowid DESC LIMIT 1) AS last_notice,
           (SELECT json_group_array(json_object('seq', e.seq, 'kind', e.kind, 'data', json(e.data), 'at', e.created_at) ORDER BY e.seq)
              FROM (SELECT seq, kind, data, created_at FROM turn_events
                     WHERE inbox_id = i.id AND seq > @after ORDER BY seq LIMIT @limit + 1) e) AS events,
           CASE WHEN i.turn_session IS NOT NULL AND i.turn IS NOT NULL THEN
             (SELECT json_group_array(json_object('seq', m.seq, 'turn', m.turn, 'role', m.role, 'content', m.content, 'name', m.name,
                                                  'tool_calls', json(m.tool_calls), 'tool_call_id', m.tool_call_id,
                                                  'metadata', json(m.metadata), 'created_at', m.created_at) ORDER BY m.seq)
                FROM (SELECT ${MESSAGE_COLUMNS} FROM messages
                       WHERE session_id = i.turn_session AND turn = i.turn ORDER BY seq LIMIT @answerLimit) m)
           END AS answer
      FROM inbox i
     WHERE i.id = @id`,
  listInbox: `SELECT ${INBOX_COLUMNS} FROM inbox
               WHERE (@status IS NULL OR status = @status) AND (@sessionId IS NULL OR session_id = @sessionId)
               ORDER BY id DESC LIMIT @limit`,
  inboxRecord: `SELECT ${INBOX_COLUMNS} FROM inbox
                 WHERE id = @id OR event_key = @key OR substr(event_key, -length(@key) - 1) = ':' || @key
                 ORDER BY coalesce(event_key = @key, 0) DESC, id DESC LIMIT 1`,
  inboxAttempts: `SELECT attempt, worker, started_at, ended_at, stage, error_class, error FROM inbox_attempts WHERE inbox_id = ? ORDER BY id`,
  inboxReplies: `SELECT part, platform_message_id, delivery_error FROM inbox_replies WHERE inbox_id = ? ORDER BY part`,
  noteUndelivered: `UPDATE inbox_replies SET delivery_error = @error
                     WHERE platform_message_id = @messageId AND inbox_id IN (SELECT id FROM inbox WHERE queue = @queue)
                    RETURNING inbox_id AS id`,
  inboxNotices: `SELECT sent_at, text FROM inbox_notices WHERE inbox_id = ? ORDER BY sent_at, rowid`,
  retryInbox: `UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, done_at = NULL
               WHERE id = ? AND status = 'dead' RETURNING session_id, followed`,
  /** Reply parts, attempts, notices and turn events go with their entries (ON DELETE CASCADE; foreign_keys is on). */
  purgeInbox: `DELETE FROM inbox WHERE status <> 'pending' AND done_at < ?`,
  /** Per queue in one pass; done entries are read too, so a queue with nothing pending still shows (as zeros). */
  inboxStats: `SELECT queue, sum(status = 'pending') AS pending,
                      min(CASE WHEN status = 'pending' THEN received_at END) AS oldest_pending_at,
                      sum(status = 'dead') AS dead
                 FROM inbox GROUP BY queue ORDER BY queue`,

  /** A send budget's bucket (see takeSendBudget: read and written in one IMMEDIATE transaction). */
  getSendBudget: `SELECT tokens, refilled_at, paused_until FROM send_budgets WHERE key = ?`,
  putSendBudget: `INSERT INTO send_budgets (key, tokens, refilled_at, paused_until) VALUES (@key, @tokens, @refilledAt, @pausedUntil)
                  ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at, paused_until = excluded.paused_until`,
  /** A pause until @until (a longer one in force stays); the bucket then holds one token from the pause's end. */
  pauseSendScope: `INSERT INTO send_budgets AS b (key, tokens, refilled_at, paused_until) VALUES (@key, 1, @until, @until)
                   ON CONFLICT (key) DO UPDATE SET paused_until = max(coalesce(b.paused_until, 0), excluded.paused_until),
                                                   refilled_at = max(coalesce(b.paused_until, 0), excluded.paused_until), tokens = 1`,
  purgeSendBudgets: `DELETE FROM send_budgets WHERE refilled_at < @before AND (paused_until IS NULL OR paused_until < @now)`,

  /** Nothing on a name taken already (revoked or not); a clashing digest is a bug and fails as a constraint error. */
  createApiKey: `INSERT INTO api_keys (name, key_hash, sessions_prefix, created_at) VALUES (@name, @keyHash, @sessionsPrefix, @now)
                 ON CONFLICT (name) DO NOTHING RETURNING ${API_KEY_COLUMNS}`,
  listApiKeys: `SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY name`,
  revokeApiKey: `UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`,
  findApiKey: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`,

  putMedia: `INSERT INTO media (hash, mime, size, bytes, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
  getMedia: `SELECT hash, mime, size, bytes, created_at FROM media WHERE hash = ?`,
  linkInboxMedia: `INSERT INTO inbox_media (inbox_id, position, hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  inboxMedia: `SELECT position, hash FROM inbox_media WHERE inbox_id = ? ORDER BY position`,

  ensureSession: `INSERT INTO sessions (id, created_at, updated_at, metadata) VALUES (?, ?, ?, coalesce(?, '{}'))
                  ON CONFLICT (id) DO NOTHING`,
  getSession: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`,
  getRuntimeState: `SELECT runtime_state FROM sessions WHERE id = ?`,
  deleteSession: `DELETE FROM sessions WHERE id = ?`,
  listSessions: `
    SELECT ${SESSION_COLUMNS} FROM sessions
     WHERE (@prefix IS NULL OR substr(id, 1, length(@prefix)) = @prefix)
       AND (@since IS NULL OR updated_at >= @since)
       AND (@cursorKey IS NULL OR (updated_at, id) < (@cursorKey, @cursorId))
     ORDER BY updated_at DESC, id DESC
     LIMIT @limit`,
} as const;
