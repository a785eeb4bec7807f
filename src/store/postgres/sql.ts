/**
 * Every SQL statement of the Postgres store, in one place. Statements are built once per schema; the schema
 * name is validated by `parseDbLocation` before it gets here.
 */

/** First key of every Threadline session lock ('TL' + 1), so other applications' advisory locks never collide. */
export const ADVISORY_NAMESPACE = 0x544c0001;
/** First key of leases (leader election, shards): apart from session locks, so the two never collide. */
export const LEASE_NAMESPACE = 0x544c0002;

/** True while this connection holds the session lock of ($1 schema, $2 session id): the fence of every write. */
const HOLDS_SESSION_LOCK = `EXISTS (SELECT 1 FROM pg_locks
   WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
     AND classid = ${ADVISORY_NAMESPACE}::oid
     AND objid = (hashtext($1::text || ':' || $2::text)::bigint & 4294967295)::oid
     AND objsubid = 2)`;

const MESSAGE_COLUMNS = 'seq, turn, role, content, name, tool_calls, tool_call_id, metadata, created_at';
const SESSION_COLUMNS = 'id, created_at, updated_at, metadata, message_count, version';

export function postgresSql(schema: string) {
  const s = `"${schema}"`;
  return {
    // --- migrations -------------------------------------------------------------------------------
    migrationLock: `SELECT pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, hashtext('migrate:' || $1::text))`,
    createMigrationTable: `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version    integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    currentVersion: `SELECT coalesce(max(version), 0)::int AS version FROM ${s}.schema_migrations`,
    migrationTableExists: `SELECT to_regclass('${s}.schema_migrations') IS NOT NULL AS present`,
    recordMigration: `INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`,

    // --- session lock: a session-level advisory lock, so Postgres releases it when the connection drops ---
    lock: `SELECT set_config('lock_timeout', $3::text, false), pg_advisory_lock(${ADVISORY_NAMESPACE}, hashtext($1::text || ':' || $2::text))`,
    tryLock: `SELECT pg_try_advisory_lock(${ADVISORY_NAMESPACE}, hashtext($1::text || ':' || $2::text)) AS locked`,
    tryLease: `SELECT pg_try_advisory_lock(${LEASE_NAMESPACE}, hashtext($1::text || ':' || $2::text)) AS locked`,
    unlock: `SELECT set_config('lock_timeout', '0', false), pg_advisory_unlock(${ADVISORY_NAMESPACE}, hashtext($1::text || ':' || $2::text))`,

    /**
     * One turn in one statement (one round trip, one implicit transaction):
     *  - ev:   records the platform event id, if any; a duplicate inserts nothing;
     *  - gate: goes on only for a new event AND while this connection still holds the session's lock (the fence);
     *  - s:    creates or advances the session: message_count and version move together;
     *  - ins:  appends the messages after the old message_count;
     *  - done: marks the inbox entries this turn answers.
     * Foreign keys are checked at the end of the statement, when the session row exists.
     * $1 schema, $2 session id, $3 messages (jsonb array), $4 event id, $5 runtime state, $6 metadata, $7 inbox ids
     */
    appendTurn: `
      WITH ev AS (
        INSERT INTO ${s}.processed_events (event_id, session_id)
        SELECT $4::text, $2::text WHERE $4::text IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
      ), gate AS (
        SELECT ($4::text IS NULL OR EXISTS (SELECT 1 FROM ev)) AS fresh,
               ${HOLDS_SESSION_LOCK} AS locked
      ), msgs AS (
        SELECT m.value AS j, m.ordinality AS ord FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS m
      ), s AS (
        INSERT INTO ${s}.sessions AS t (id, metadata, runtime_state, message_count, version)
        SELECT $2::text, coalesce($6::jsonb, '{}'::jsonb), $5::jsonb, (SELECT count(*) FROM msgs), 1
          FROM gate WHERE fresh AND locked
        ON CONFLICT (id) DO UPDATE SET
          message_count = t.message_count + excluded.message_count,
          version       = t.version + 1,
          updated_at    = now(),
          runtime_state = CASE WHEN $5::jsonb IS NULL THEN t.runtime_state
                               ELSE coalesce(t.runtime_state, '{}'::jsonb) || $5::jsonb END
        RETURNING t.message_count, t.version
      ), ins AS (
        INSERT INTO ${s}.messages (session_id, seq, turn, turn_start, role, content, name, tool_calls, tool_call_id, metadata, created_at)
        SELECT $2::text, s.message_count - (SELECT count(*) FROM msgs) + msgs.ord, s.version, msgs.ord = 1,
               msgs.j->>'role', msgs.j->>'content', msgs.j->>'name', msgs.j->'toolCalls', msgs.j->>'toolCallId', msgs.j->'metadata',
               coalesce((msgs.j->>'createdAt')::timestamptz, now())
          FROM s, msgs
        RETURNING 1
      ), done AS (
        UPDATE ${s}.inbox SET status = 'done', done_at = now()
         WHERE id = ANY ($7::bigint[]) AND status = 'pending' AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
      )
      SELECT (SELECT fresh FROM gate) AS fresh, (SELECT locked FROM gate) AS locked,
             (SELECT message_count FROM s) AS message_count, (SELECT version FROM s) AS version,
             (SELECT count(*) FROM ins) AS inserted`,

    /**
     * The newest messages within $2 messages, starting at a turn boundary; when the last turn alone is
     * longer, the last turn whole. $1 session id, $2 max messages
     */
    loadWindow: `
      SELECT ${MESSAGE_COLUMNS} FROM ${s}.messages
       WHERE session_id = $1 AND seq >= coalesce(
         (SELECT min(seq) FROM ${s}.messages
           WHERE session_id = $1 AND turn_start
             AND seq > (SELECT message_count FROM ${s}.sessions WHERE id = $1) - $2::bigint),
         (SELECT max(seq) FROM ${s}.messages WHERE session_id = $1 AND turn_start),
         1)
       ORDER BY seq`,
    fullHistory: `SELECT ${MESSAGE_COLUMNS} FROM ${s}.messages WHERE session_id = $1 ORDER BY seq`,

    // --- inbox ------------------------------------------------------------------------------------
    /** $1 event key, $2 session id, $3 payload, $4 notification channel, $5 queue */
    enqueueInbox: `
      WITH ins AS (
        INSERT INTO ${s}.inbox (event_key, session_id, payload, queue) VALUES ($1, $2, $3::jsonb, $5)
        ON CONFLICT (event_key) DO NOTHING
        RETURNING id
      )
      SELECT id, pg_notify($4::text, $2::text) FROM ins`,
    /** $1 limit, $2 queue (null: every queue) */
    pendingInboxSessions: `
      SELECT session_id FROM ${s}.inbox WHERE status = 'pending' AND ($2::text IS NULL OR queue = $2::text)
       GROUP BY session_id ORDER BY min(id) LIMIT $1`,
    /** $1 schema (for the lock check), $2 session id, $3 limit */
    pendingInbox: `
      SELECT i.id, i.session_id, i.event_key, i.payload, i.received_at,
             coalesce((SELECT jsonb_agg(jsonb_build_object('part', r.part, 'platformMessageId', r.platform_message_id) ORDER BY r.part)
                         FROM ${s}.inbox_replies r WHERE r.inbox_id = i.id), '[]'::jsonb) AS reply_parts
        FROM ${s}.inbox i
       WHERE i.session_id = $2::text AND i.status = 'pending' AND ${HOLDS_SESSION_LOCK}
       ORDER BY i.id LIMIT $3`,
    /** $1 schema, $2 session id, $3 inbox ids, $4 outcome */
    completeInbox: `
      WITH done AS (
        UPDATE ${s}.inbox SET status = $4::text, done_at = now()
         WHERE id = ANY ($3::bigint[]) AND status = 'pending' AND ${HOLDS_SESSION_LOCK}
        RETURNING 1
      )
      SELECT ${HOLDS_SESSION_LOCK} AS locked, (SELECT count(*) FROM done) AS completed`,
    /** $1 schema, $2 session id, $3 inbox id, $4 part, $5 platform message id */
    recordReplyPart: `
      INSERT INTO ${s}.inbox_replies (inbox_id, part, platform_message_id)
      SELECT $3, $4, $5 WHERE ${HOLDS_SESSION_LOCK}
      ON CONFLICT (inbox_id, part) DO UPDATE SET platform_message_id = excluded.platform_message_id
      RETURNING 1`,
    purgeInbox: `DELETE FROM ${s}.inbox WHERE status <> 'pending' AND done_at < $1`,

    /** $1 schema, $2 session id, $3 metadata patch */
    updateMetadata: `
      INSERT INTO ${s}.sessions AS t (id, metadata)
      SELECT $2::text, $3::jsonb WHERE ${HOLDS_SESSION_LOCK}
      ON CONFLICT (id) DO UPDATE SET metadata = t.metadata || excluded.metadata, updated_at = now()
      RETURNING 1`,
    ensureSession: `
      INSERT INTO ${s}.sessions (id, metadata) VALUES ($1, coalesce($2::jsonb, '{}'::jsonb))
      ON CONFLICT (id) DO NOTHING`,
    getSession: `SELECT ${SESSION_COLUMNS} FROM ${s}.sessions WHERE id = $1`,
    getRuntimeState: `SELECT runtime_state FROM ${s}.sessions WHERE id = $1`,
    deleteSession: `DELETE FROM ${s}.sessions WHERE id = $1`,
    /** $1 prefix, $2 updated since, $3 cursor updated_at (µs since epoch), $4 cursor id, $5 limit */
    listSessions: `
      SELECT ${SESSION_COLUMNS}, (extract(epoch FROM updated_at) * 1000000)::bigint::text AS updated_us
        FROM ${s}.sessions
       WHERE ($1::text IS NULL OR starts_with(id, $1::text))
         AND ($2::timestamptz IS NULL OR updated_at >= $2::timestamptz)
         AND ($3::bigint IS NULL OR ((extract(epoch FROM updated_at) * 1000000)::bigint, id) < ($3::bigint, $4::text))
       ORDER BY updated_at DESC, id DESC
       LIMIT $5`,
  };
}

export type PostgresSql = ReturnType<typeof postgresSql>;
