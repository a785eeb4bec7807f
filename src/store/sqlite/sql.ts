/** Every SQL statement of the SQLite store, in one place. */

const MESSAGE_COLUMNS = 'seq, turn, role, content, name, tool_calls, tool_call_id, metadata, created_at';
const SESSION_COLUMNS = 'id, created_at, updated_at, metadata, message_count, version';

export const SQLITE_SQL = {
  getLock: `SELECT owner, pid, started FROM session_locks WHERE session_id = ?`,
  putLock: `INSERT INTO session_locks (session_id, owner, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,
              started = excluded.started, acquired_at = excluded.acquired_at`,
  releaseLock: `DELETE FROM session_locks WHERE session_id = ? AND owner = ?`,

  eventSeen: `SELECT 1 FROM processed_events WHERE event_id = ?`,
  recordEvent: `INSERT INTO processed_events (event_id, session_id, processed_at) VALUES (?, ?, ?)`,
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

  enqueueInbox: `INSERT INTO inbox (event_key, session_id, payload, received_at, queue) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (event_key) DO NOTHING RETURNING id`,
  pendingInboxSessions: `SELECT session_id FROM inbox WHERE status = 'pending' AND (@queue IS NULL OR queue = @queue)
                          GROUP BY session_id ORDER BY min(id) LIMIT @limit`,
  pendingInbox: `SELECT i.id, i.session_id, i.event_key, i.payload, i.received_at,
                        (SELECT json_group_array(json_object('part', part, 'platformMessageId', platform_message_id))
                           FROM (SELECT part, platform_message_id FROM inbox_replies WHERE inbox_id = i.id ORDER BY part)) AS reply_parts
                   FROM inbox i
                  WHERE i.session_id = ? AND i.status = 'pending' ORDER BY i.id LIMIT ?`,
  completeInbox: `UPDATE inbox SET status = @outcome, done_at = @now WHERE id = @id AND status = 'pending'`,
  updateMetadata: `INSERT INTO sessions AS t (id, created_at, updated_at, metadata) VALUES (@id, @now, @now, @patch)
                   ON CONFLICT (id) DO UPDATE SET metadata = json_patch(t.metadata, excluded.metadata), updated_at = excluded.updated_at`,
  recordReplyPart: `INSERT INTO inbox_replies (inbox_id, part, platform_message_id) VALUES (?, ?, ?)
                    ON CONFLICT (inbox_id, part) DO UPDATE SET platform_message_id = excluded.platform_message_id`,
  purgeInbox: `DELETE FROM inbox WHERE status <> 'pending' AND done_at < ?`,

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
