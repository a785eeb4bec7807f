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

const INBOX_COLUMNS =
  'id, session_id, event_key, queue, payload, status, received_at, done_at, attempts, next_attempt_at, last_error, redeliveries, turn_session, turn';

const MESSAGE_COLUMNS = 'seq, turn, role, content, name, tool_calls, tool_call_id, metadata, created_at';
const SESSION_COLUMNS = 'id, created_at, updated_at, metadata, message_count, version';
const API_KEY_COLUMNS = 'name, sessions_prefix, created_at, revoked_at';
/** A timestamptz as whole milliseconds since the epoch (a JSON number, as SQLite keeps times). */
const EPOCH_MS = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

export function postgresSql(schema: string) {
  const s = `"${schema}"`;
  /** The reply parts posted for inbox entry `id` (a column expression). */
  const REPLY_PARTS = (id: string) => `coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('part', r.part, 'platformMessageId', r.platform_message_id, 'deliveryError', r.delivery_error)) ORDER BY r.part)
                         FROM ${s}.inbox_replies r WHERE r.inbox_id = ${id}), '[]'::jsonb) AS reply_parts`;
  /** Ends the latest attempt of each entry in CTE `cte` with $5 stage, $6 error class, $7 error. */
  const END_ATTEMPT = (cte: string) => `
        UPDATE ${s}.inbox_attempts t SET ended_at = now(), stage = $5::text, error_class = $6::text, error = $7::text
          FROM ${cte} WHERE t.id = (SELECT max(x.id) FROM ${s}.inbox_attempts x WHERE x.inbox_id = ${cte}.id) AND t.ended_at IS NULL`;
  /**
   * Announces on turn channel `channel` the entries of CTE `cte` (which returns id, followed) that someone follows:
   * a CTE of its own, referenced by the final SELECT so that it runs. NOTIFY is sent at commit, so a follower that
   * looks on hearing it sees the fate. An entry nobody follows costs a filter over rows already at hand.
   */
  const TELL_FOLLOWERS = (cte: string, channel: string) => `SELECT pg_notify(${channel}::text, ${cte}.id::text) FROM ${cte} WHERE ${cte}.followed`;
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
    /** Lock (waiting $3 ms at most; 0: not at all) and, unless $4 is null, load the window of $4 messages. $1 schema, $2 session id */
    lockSession: `SELECT * FROM ${s}.lock_session($1::text, $2::text, $3::integer, $4::bigint)`,
    tryLease: `SELECT pg_try_advisory_lock(${LEASE_NAMESPACE}, hashtext($1::text || ':' || $2::text)) AS locked`,
    unlock: `SELECT pg_advisory_unlock(${ADVISORY_NAMESPACE}, hashtext($1::text || ':' || $2::text))`,

    /**
     * One turn in one statement (one round trip, one implicit transaction):
     *  - gate: goes on only while this connection still holds the session's lock (the fence): when it refuses,
     *          no CTE below writes anything;
     *  - s:    creates or advances the session: message_count and version move together;
     *  - ins:  appends the messages after the old message_count;
     *  - done: marks the inbox entries this turn answers;
     *  - told: announces those someone follows on the turn channel.
     * Foreign keys are checked at the end of the statement, when the session row exists.
     * $1 schema, $2 session id, $3 messages (jsonb array), $4 runtime state, $5 metadata, $6 inbox ids,
     * $7 release the lock with this commit, $8 turn channel
     */
    appendTurn: `
      WITH gate AS (
        -- The fence is read before the hand-over ($7): after it this connection holds the lock only until commit.
        SELECT g.locked, CASE WHEN g.locked AND $7::boolean THEN ${s}.hand_over_session($1::text, $2::text) END AS handed_over
          FROM (SELECT ${HOLDS_SESSION_LOCK} AS locked) g
      ), msgs AS (
        SELECT m.value AS j, m.ordinality AS ord FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS m
      ), s AS (
        INSERT INTO ${s}.sessions AS t (id, metadata, runtime_state, message_count, version)
        SELECT $2::text, coalesce($5::jsonb, '{}'::jsonb), $4::jsonb, (SELECT count(*) FROM msgs), 1
          FROM gate WHERE locked
        ON CONFLICT (id) DO UPDATE SET
          message_count = t.message_count + excluded.message_count,
          version       = t.version + 1,
          updated_at    = now(),
          runtime_state = CASE WHEN $4::jsonb IS NULL THEN t.runtime_state
                               ELSE coalesce(t.runtime_state, '{}'::jsonb) || $4::jsonb END
        RETURNING t.message_count, t.version
      ), ins AS (
        INSERT INTO ${s}.messages (session_id, seq, turn, turn_start, role, content, name, tool_calls, tool_call_id, metadata, created_at)
        SELECT $2::text, s.message_count - (SELECT count(*) FROM msgs) + msgs.ord, s.version, msgs.ord = 1,
               msgs.j->>'role', msgs.j->>'content', msgs.j->>'name', msgs.j->'toolCalls', msgs.j->>'toolCallId', msgs.j->'metadata',
               coalesce((msgs.j->>'createdAt')::timestamptz, now())
          FROM s, msgs
        RETURNING 1
      ), done AS (
        UPDATE ${s}.inbox SET status = 'done', done_at = now(), draft = NULL, turn_session = $2::text, turn = (SELECT version FROM s)
         WHERE id = ANY ($6::bigint[]) AND status = 'pending' AND EXISTS (SELECT 1 FROM s)
        RETURNING id, followed
      ), told AS (
        ${TELL_FOLLOWERS('done', '$8')}
      )
      SELECT (SELECT locked FROM gate) AS locked, (SELECT handed_over FROM gate) AS handed_over,
             (SELECT message_count FROM s) AS message_count, (SELECT version FROM s) AS version,
             (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM told) AS told`,

    /** The window (see message_window in migration 4). $1 session id, $2 max messages */
    loadWindow: `SELECT ${MESSAGE_COLUMNS} FROM ${s}.message_window($1::text, $2::bigint) ORDER BY seq`,
    fullHistory: `SELECT ${MESSAGE_COLUMNS} FROM ${s}.messages WHERE session_id = $1 ORDER BY seq`,
    /** A page of messages, on the primary key. $1 session id, $2 after seq, $3 turn (null: any), $4 limit */
    readMessages: `
      SELECT ${MESSAGE_COLUMNS} FROM ${s}.messages
       WHERE session_id = $1::text AND seq > $2::bigint AND ($3::bigint IS NULL OR turn = $3::bigint)
       ORDER BY seq LIMIT $4`,

    // --- inbox and its fate ledger --------------------------------------------------------------------
    /**
     * Records an event once; a redelivery only counts itself. Refused events are recorded already finished: one
     * someone follows has its fate then, announced on the turn channel.
     * $1 event key, $2 session id, $3 payload, $4 notification channel, $5 queue, $6 solo, $7 refusal reason,
     * $8 followed, $9 turn channel
     */
    enqueueInbox: `
      WITH ins AS (
        INSERT INTO ${s}.inbox AS t (event_key, session_id, payload, queue, solo, status, last_error, done_at, followed)
        VALUES ($1, $2, $3::jsonb, $5, $6::boolean,
                CASE WHEN $7::text IS NULL THEN 'pending' ELSE 'refused' END, $7::text,
                CASE WHEN $7::text IS NULL THEN NULL ELSE now() END, $8::boolean)
        ON CONFLICT (event_key) DO UPDATE SET redeliveries = t.redeliveries + 1
        RETURNING id, (xmax = 0) AS inserted, status, followed
      )
      SELECT id, inserted, CASE WHEN inserted AND status = 'pending' THEN pg_notify($4::text, $2::text) END AS notified,
             CASE WHEN inserted AND status <> 'pending' AND followed THEN pg_notify($9::text, id::text) END AS told
        FROM ins`,
    /**
     * Sessions whose pending entries are due (none waits for a later attempt). $1 limit, $2 queue (null: every
     * queue), $3 another queue whose entries count only for sessions whose id starts with $4 (null: none)
     */
    pendingInboxSessions: `
      SELECT session_id FROM ${s}.inbox
       WHERE status = 'pending'
         AND ($2::text IS NULL OR queue = $2::text OR (queue = $3::text AND left(session_id, length($4::text)) = $4::text))
       GROUP BY session_id
      HAVING coalesce(max(next_attempt_at), '-infinity') <= now()
       ORDER BY min(id) LIMIT $1`,
    /** A look only, like the window: not fenced. $1 session id, $2 limit */
    pendingInbox: `
      SELECT i.id, i.session_id, i.event_key, i.payload, i.received_at, i.attempts, i.draft, ${REPLY_PARTS('i.id')}
        FROM ${s}.inbox i
       WHERE i.session_id = $1::text AND i.status = 'pending'
       ORDER BY i.id LIMIT $2`,
    /**
     * The next batch, each entry's attempt counted and recorded in the same statement (durable before any work):
     * nothing while an entry of the session waits for a later attempt; else up to $3 entries in order, stopping
     * before a solo entry (a solo entry first is taken alone). One row more, with a null id, says whether the fence
     * held (`locked`), so a refused claim is told from an empty one.
     * $1 schema, $2 session id, $3 limit, $4 worker
     */
    claimInbox: `
      WITH pend AS (
        SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) FILTER (WHERE solo) OVER (ORDER BY id) AS solos
          FROM (SELECT id, solo FROM ${s}.inbox WHERE session_id = $2::text AND status = 'pending' ORDER BY id LIMIT $3) p
         WHERE ${HOLDS_SESSION_LOCK}
           AND NOT EXISTS (SELECT 1 FROM ${s}.inbox w WHERE w.session_id = $2::text AND w.status = 'pending' AND w.next_attempt_at > now())
      ), bumped AS (
        UPDATE ${s}.inbox i SET attempts = i.attempts + 1, next_attempt_at = NULL
          FROM pend WHERE i.id = pend.id AND (pend.rn = 1 OR pend.solos = 0)
        RETURNING i.id, i.session_id, i.event_key, i.payload, i.received_at, i.attempts, i.draft
      ), tried AS (
        INSERT INTO ${s}.inbox_attempts (inbox_id, attempt, worker) SELECT id, attempts, $4::text FROM bumped
      )
      SELECT ${HOLDS_SESSION_LOCK} AS locked, b.id, b.session_id, b.event_key, b.payload, b.received_at, b.attempts, b.draft, ${REPLY_PARTS('b.id')}
        FROM (SELECT 1) one LEFT JOIN bumped b ON true ORDER BY b.id NULLS FIRST`,
    /** $1 schema, $2 session id, $3 inbox ids, $4 retry at, $5 stage, $6 error class, $7 error, $8 refund the attempt */
    deferInbox: `
      WITH d AS (
        UPDATE ${s}.inbox SET next_attempt_at = $4::timestamptz, last_error = $7::text,
                              attempts = CASE WHEN $8::boolean THEN greatest(attempts - 1, 0) ELSE attempts END
         WHERE id = ANY ($3::bigint[]) AND status = 'pending' AND ${HOLDS_SESSION_LOCK}
        RETURNING id
      ), a AS (
        ${END_ATTEMPT('d')}
      )
      SELECT ${HOLDS_SESSION_LOCK} AS locked`,
    /** $1 schema, $2 session id, $3 inbox ids, $4 outcome, $5 stage, $6 error class, $7 error, $8 turn channel */
    completeInbox: `
      WITH done AS (
        UPDATE ${s}.inbox SET status = $4::text, done_at = now(), last_error = coalesce($7::text, last_error), draft = NULL, next_attempt_at = NULL
         WHERE id = ANY ($3::bigint[]) AND status = 'pending' AND ${HOLDS_SESSION_LOCK}
        RETURNING id, followed
      ), a AS (
        ${END_ATTEMPT('done')}
      ), told AS (
        ${TELL_FOLLOWERS('done', '$8')}
      )
      SELECT ${HOLDS_SESSION_LOCK} AS locked, (SELECT count(*) FROM done) AS completed, (SELECT count(*) FROM told) AS told`,
    /** $1 schema, $2 session id, $3 inbox id, $4 part, $5 platform message id */
    recordReplyPart: `
      INSERT INTO ${s}.inbox_replies (inbox_id, part, platform_message_id)
      SELECT $3, $4, $5 WHERE ${HOLDS_SESSION_LOCK}
      ON CONFLICT (inbox_id, part) DO UPDATE SET platform_message_id = excluded.platform_message_id
      RETURNING 1`,
    /** $1 schema, $2 session id, $3 inbox id, $4 draft */
    saveDraft: `UPDATE ${s}.inbox SET draft = $4::jsonb WHERE id = $3 AND status = 'pending' AND ${HOLDS_SESSION_LOCK} RETURNING 1`,
    /** $1 schema, $2 session id, $3 inbox id, $4 text */
    recordNotice: `INSERT INTO ${s}.inbox_notices (inbox_id, text) SELECT $3, $4 WHERE ${HOLDS_SESSION_LOCK} RETURNING 1`,
    /**
     * Appends events to an entry's turn log, numbered on from its last, fenced like a reply part, and announces the
     * entry on the turn channel in the same statement (sent at commit, so a follower that looks on hearing it finds
     * the events). The caller holds the session lock, so no other writer numbers this entry's events meanwhile.
     * $1 schema, $2 session id, $3 inbox id, $4 events (jsonb array of {kind, data as JSON text}), $5 turn channel
     */
    recordTurnEvents: `
      WITH ins AS (
        INSERT INTO ${s}.turn_events (inbox_id, seq, kind, data)
        SELECT $3::bigint, coalesce((SELECT max(t.seq) FROM ${s}.turn_events t WHERE t.inbox_id = $3::bigint), 0) + e.ord,
               e.j->>'kind', (e.j->>'data')::jsonb
          FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(j, ord)
         WHERE ${HOLDS_SESSION_LOCK}
        RETURNING 1
      )
      SELECT ${HOLDS_SESSION_LOCK} AS locked,
             CASE WHEN EXISTS (SELECT 1 FROM ins) THEN pg_notify($5::text, $3::bigint::text) END AS told`,
    /**
     * A follower's look at an entry, in one statement, so the fate and the events come from one snapshot: the
     * entry, its last notice, up to $3 + 1 turn events after $2 (the extra one says there are more) and, once it
     * is answered, the answering turn's messages (at most $4). Events and messages come as json arrays, times in
     * milliseconds since the epoch, so their JSON data is parsed once, with the array.
     * $1 inbox id, $2 after seq, $3 limit, $4 most answer messages
     */
    turnProgress: `
      SELECT i.session_id, i.status, i.last_error, i.turn_session, i.turn,
             (SELECT n.text FROM ${s}.inbox_notices n WHERE n.inbox_id = i.id ORDER BY n.sent_at DESC LIMIT 1) AS last_notice,
             (SELECT coalesce(json_agg(json_build_object('seq', e.seq, 'kind', e.kind, 'data', e.data, 'at', ${EPOCH_MS('e.created_at')}) ORDER BY e.seq), '[]'::json)
                FROM (SELECT seq, kind, data, created_at FROM ${s}.turn_events
                       WHERE inbox_id = i.id AND seq > $2::bigint ORDER BY seq LIMIT $3::integer + 1) e) AS events,
             (SELECT json_agg(json_build_object('seq', m.seq, 'turn', m.turn, 'role', m.role, 'content', m.content, 'name', m.name,
                                                'tool_calls', m.tool_calls, 'tool_call_id', m.tool_call_id, 'metadata', m.metadata,
                                                'created_at', ${EPOCH_MS('m.created_at')}) ORDER BY m.seq)
                FROM (SELECT ${MESSAGE_COLUMNS} FROM ${s}.messages
                       WHERE session_id = i.turn_session AND turn = i.turn ORDER BY seq LIMIT $4::integer) m) AS answer
        FROM ${s}.inbox i
       WHERE i.id = $1::bigint`,
    /** $1 status (null: any), $2 session id (null: any), $3 limit */
    listInbox: `
      SELECT ${INBOX_COLUMNS} FROM ${s}.inbox
       WHERE ($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR session_id = $2::text)
       ORDER BY id DESC LIMIT $3`,
    /** $1 inbox id (or null), $2 event key or platform event id, the end of an event key (or null); the newest such */
    inboxEntry: `
      SELECT ${INBOX_COLUMNS} FROM ${s}.inbox
       WHERE id = $1::bigint OR event_key = $2::text OR right(event_key, length($2::text) + 1) = ':' || $2::text
       ORDER BY coalesce(event_key = $2::text, false) DESC, id DESC LIMIT 1`,
    inboxAttempts: `SELECT attempt, worker, started_at, ended_at, stage, error_class, error FROM ${s}.inbox_attempts WHERE inbox_id = $1 ORDER BY id`,
    inboxReplies: `SELECT part, platform_message_id, delivery_error FROM ${s}.inbox_replies WHERE inbox_id = $1 ORDER BY part`,
    /** $1 platform message id, $2 the entries' queue, $3 the platform's reason; the entries whose part it was */
    noteUndelivered: `
      UPDATE ${s}.inbox_replies r SET delivery_error = $3
        FROM ${s}.inbox i
       WHERE r.inbox_id = i.id AND r.platform_message_id = $1 AND i.queue = $2
      RETURNING r.inbox_id AS id`,
    inboxNotices: `SELECT sent_at, text FROM ${s}.inbox_notices WHERE inbox_id = $1 ORDER BY sent_at`,
    /**
     * A dead entry back to pending with a fresh attempt budget; its worker is woken, and its follower told to look
     * again (its fate is open once more). $1 inbox id, $2 channel, $3 turn channel
     */
    retryInbox: `
      WITH r AS (
        UPDATE ${s}.inbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, done_at = NULL
         WHERE id = $1 AND status = 'dead'
        RETURNING id, session_id, followed
      )
      SELECT pg_notify($2::text, session_id), CASE WHEN followed THEN pg_notify($3::text, id::text) END FROM r`,
    /** Reply parts, attempts, notices and turn events go with their entries (ON DELETE CASCADE). */
    purgeInbox: `DELETE FROM ${s}.inbox WHERE status <> 'pending' AND done_at < $1`,
    /**
     * Per queue in one pass. Done entries are read too, so that a queue with nothing pending still shows (as zeros);
     * purgeInbox keeps them few. Queues sort bytewise ("C"), as SQLite sorts them.
     */
    inboxStats: `
      SELECT queue, count(*) FILTER (WHERE status = 'pending') AS pending,
             min(received_at) FILTER (WHERE status = 'pending') AS oldest_pending_at,
             count(*) FILTER (WHERE status = 'dead') AS dead
        FROM ${s}.inbox GROUP BY queue ORDER BY queue COLLATE "C"`,

    // --- send budgets: token buckets every worker shares (see migration 6) --------------------------------
    /** $1 keys (unique, sorted), $2 rates per second, $3 bursts: the wait in ms, 0 when a token was taken from each */
    takeSendBudget: `SELECT ${s}.take_send_budget($1::text[], $2::float8[], $3::float8[]) AS wait_ms`,
    /**
     * A pause of $2 ms for key $1 from now (a longer one in force stays); the bucket then holds one token from the
     * pause's end, so the first send after it goes at once and the rest at the bucket's rate.
     */
    pauseSendScope: `
      INSERT INTO ${s}.send_budgets AS b (key, tokens, refilled_at, paused_until)
      VALUES ($1::text, 1, now() + $2::float8 * interval '1 millisecond', now() + $2::float8 * interval '1 millisecond')
      ON CONFLICT (key) DO UPDATE SET
        paused_until = greatest(b.paused_until, excluded.paused_until),
        refilled_at  = greatest(b.paused_until, excluded.paused_until),
        tokens       = 1`,
    /** Buckets idle for $1 ms (no take, no pause in force): full by now, so forgetting them changes nothing. */
    purgeSendBudgets: `
      DELETE FROM ${s}.send_budgets
       WHERE refilled_at < now() - $1::float8 * interval '1 millisecond' AND (paused_until IS NULL OR paused_until < now())`,

    // --- API keys: digests only ----------------------------------------------------------------------
    /**
     * Nothing on a name taken already (revoked or not): the caller reports it. A clashing digest is no conflict
     * handled here: two keys with one SHA-256 is a bug, and its unique violation surfaces as is.
     * $1 name, $2 key digest, $3 sessions prefix
     */
    createApiKey: `
      INSERT INTO ${s}.api_keys (name, key_hash, sessions_prefix) VALUES ($1::text, $2::text, $3::text)
      ON CONFLICT (name) DO NOTHING
      RETURNING ${API_KEY_COLUMNS}`,
    /** Names sort bytewise ("C"), as SQLite sorts them. */
    listApiKeys: `SELECT ${API_KEY_COLUMNS} FROM ${s}.api_keys ORDER BY name COLLATE "C"`,
    revokeApiKey: `UPDATE ${s}.api_keys SET revoked_at = now() WHERE name = $1::text AND revoked_at IS NULL`,
    findApiKey: `SELECT ${API_KEY_COLUMNS} FROM ${s}.api_keys WHERE key_hash = $1::text AND revoked_at IS NULL`,

    // --- media: bytes by SHA-256 -------------------------------------------------------------------------
    /** $1 hash, $2 mime, $3 bytes */
    putMedia: `INSERT INTO ${s}.media (hash, mime, size, bytes) VALUES ($1::text, $2::text, octet_length($3::bytea), $3::bytea) ON CONFLICT (hash) DO NOTHING`,
    getMedia: `SELECT hash, mime, size, bytes, created_at FROM ${s}.media WHERE hash = $1::text`,
    /** $1 inbox id, $2 position, $3 hash */
    linkInboxMedia: `INSERT INTO ${s}.inbox_media (inbox_id, position, hash) VALUES ($1::bigint, $2::integer, $3::text) ON CONFLICT DO NOTHING`,
    inboxMedia: `SELECT position, hash FROM ${s}.inbox_media WHERE inbox_id = $1::bigint ORDER BY position`,

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
