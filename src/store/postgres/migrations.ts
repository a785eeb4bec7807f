import { ADVISORY_NAMESPACE } from './sql.js';

/**
 * Plain, ordered migrations. Each entry is applied once, in order, inside one transaction that holds the
 * schema's migration lock, so processes opening the store at the same time apply each step exactly once.
 * Never edit a released entry: add a new one.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<(schema: string) => string> = [
  // 1: sessions, append-only messages, processed platform events.
  (s) => `
    CREATE TABLE ${s}.sessions (
      id            text PRIMARY KEY,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now(),
      metadata      jsonb NOT NULL DEFAULT '{}',
      runtime_state jsonb,
      message_count bigint NOT NULL DEFAULT 0,
      version       bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX sessions_updated_idx ON ${s}.sessions (updated_at DESC, id DESC);

    CREATE TABLE ${s}.messages (
      session_id   text NOT NULL REFERENCES ${s}.sessions (id) ON DELETE CASCADE,
      seq          bigint NOT NULL,
      turn         bigint NOT NULL,
      turn_start   boolean NOT NULL,
      role         text NOT NULL,
      content      text,
      name         text,
      tool_calls   jsonb,
      tool_call_id text,
      metadata     jsonb,
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (session_id, seq)
    );
    -- The window query looks for the first turn start after a sequence number.
    CREATE INDEX messages_turn_start_idx ON ${s}.messages (session_id, seq) WHERE turn_start;

    CREATE TABLE ${s}.processed_events (
      event_id     text PRIMARY KEY,
      session_id   text NOT NULL REFERENCES ${s}.sessions (id) ON DELETE CASCADE,
      processed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX processed_events_session_idx ON ${s}.processed_events (session_id);
  `,
  // 2: the durable inbox of platform events, and the reply messages posted for them.
  (s) => `
    CREATE TABLE ${s}.inbox (
      id          bigserial PRIMARY KEY,
      event_key   text NOT NULL UNIQUE,
      queue       text NOT NULL,
      session_id  text NOT NULL,
      payload     jsonb NOT NULL,
      status      text NOT NULL DEFAULT 'pending',
      received_at timestamptz NOT NULL DEFAULT now(),
      done_at     timestamptz
    );
    CREATE INDEX inbox_pending_idx ON ${s}.inbox (queue, session_id, id) WHERE status = 'pending';

    CREATE TABLE ${s}.inbox_replies (
      inbox_id            bigint NOT NULL REFERENCES ${s}.inbox (id) ON DELETE CASCADE,
      part                integer NOT NULL,
      platform_message_id text NOT NULL,
      PRIMARY KEY (inbox_id, part)
    );
  `,
  // 3: the fate ledger. Each entry counts its attempts and may wait for a next one; each attempt is a row (who,
  // when, how far it got, why it failed); notices are what the user was told besides the reply; a draft is a turn
  // generated but not yet delivered. Old outcomes map onto the new fates.
  (s) => `
    ALTER TABLE ${s}.inbox
      ADD COLUMN solo            boolean NOT NULL DEFAULT false,
      ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
      ADD COLUMN next_attempt_at timestamptz,
      ADD COLUMN last_error      text,
      ADD COLUMN redeliveries    integer NOT NULL DEFAULT 0,
      ADD COLUMN draft           jsonb,
      ADD COLUMN turn_session    text,
      ADD COLUMN turn            bigint;
    UPDATE ${s}.inbox SET status = 'refused' WHERE status = 'skipped';
    UPDATE ${s}.inbox SET status = 'dead' WHERE status = 'failed';
    CREATE INDEX inbox_status_idx ON ${s}.inbox (status, id) WHERE status <> 'done';
    CREATE INDEX inbox_session_idx ON ${s}.inbox (session_id, id);

    CREATE TABLE ${s}.inbox_attempts (
      id          bigserial PRIMARY KEY,
      inbox_id    bigint NOT NULL REFERENCES ${s}.inbox (id) ON DELETE CASCADE,
      attempt     integer NOT NULL,
      worker      text NOT NULL,
      started_at  timestamptz NOT NULL DEFAULT now(),
      ended_at    timestamptz,
      stage       text NOT NULL DEFAULT 'claimed',
      error_class text,
      error       text
    );
    CREATE INDEX inbox_attempts_entry_idx ON ${s}.inbox_attempts (inbox_id, id);

    CREATE TABLE ${s}.inbox_notices (
      inbox_id bigint NOT NULL REFERENCES ${s}.inbox (id) ON DELETE CASCADE,
      sent_at  timestamptz NOT NULL DEFAULT now(),
      text     text NOT NULL
    );
    CREATE INDEX inbox_notices_entry_idx ON ${s}.inbox_notices (inbox_id);
  `,
  // 4: a turn in two round trips. lock_session takes the session's lock and, in the same call, loads the history
  // window: a statement of its own inside the function, so its snapshot is taken after the lock was granted and
  // sees every turn committed before. hand_over_session lets a commit release the lock in its own round trip:
  // the transaction-level form of the same lock is taken first, so no other worker can claim the session before
  // the commit is visible. message_window is the one definition of the window (the newest turns within p_max
  // messages, starting at a turn boundary; the last turn whole when it alone is longer).
  (s) => `
    CREATE FUNCTION ${s}.message_window(p_session text, p_max bigint) RETURNS SETOF ${s}.messages
    LANGUAGE sql STABLE AS $fn$
      SELECT * FROM ${s}.messages
       WHERE session_id = p_session AND seq >= coalesce(
         (SELECT min(seq) FROM ${s}.messages
           WHERE session_id = p_session AND turn_start
             AND seq > (SELECT message_count FROM ${s}.sessions WHERE id = p_session) - p_max),
         (SELECT max(seq) FROM ${s}.messages WHERE session_id = p_session AND turn_start),
         1)
       ORDER BY seq
    $fn$;

    CREATE FUNCTION ${s}.lock_session(p_schema text, p_session text, p_wait_ms integer, p_max bigint)
    RETURNS TABLE (locked boolean, seq bigint, turn bigint, role text, content text, name text, tool_calls jsonb,
                   tool_call_id text, metadata jsonb, created_at timestamptz)
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      k integer := hashtext(p_schema || ':' || p_session);
    BEGIN
      IF p_wait_ms = 0 THEN
        IF NOT pg_try_advisory_lock(${ADVISORY_NAMESPACE}, k) THEN
          RETURN QUERY SELECT false, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::jsonb, NULL::timestamptz;
          RETURN;
        END IF;
      ELSE
        -- Local to this call's transaction: the connection keeps no lock_timeout afterwards.
        PERFORM set_config('lock_timeout', p_wait_ms || 'ms', true);
        PERFORM pg_advisory_lock(${ADVISORY_NAMESPACE}, k);
      END IF;
      IF p_max IS NOT NULL THEN
        RETURN QUERY SELECT true, w.seq, w.turn, w.role, w.content, w.name, w.tool_calls, w.tool_call_id, w.metadata, w.created_at
                       FROM ${s}.message_window(p_session, p_max) w ORDER BY w.seq;
        IF FOUND THEN RETURN; END IF;
      END IF;
      RETURN QUERY SELECT true, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::jsonb, NULL::timestamptz;
    END
    $fn$;

    CREATE FUNCTION ${s}.hand_over_session(p_schema text, p_session text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $fn$
    BEGIN
      PERFORM pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, hashtext(p_schema || ':' || p_session));
      RETURN pg_advisory_unlock(${ADVISORY_NAMESPACE}, hashtext(p_schema || ':' || p_session));
    END
    $fn$;
  `,
  // 5: what `threadline serve` needs. turn_events is an entry's turn log as a streaming client is shown it (text
  // deltas, a restart), numbered per entry; it goes with its entry (purgeInbox). api_keys holds only digests of the
  // keys; a revoked key keeps its row, so its name stays taken and logs that name it stay unambiguous. followed marks
  // an entry someone follows live: its final fate is announced on the turn channel, which bot entries never pay for.
  (s) => `
    ALTER TABLE ${s}.inbox ADD COLUMN followed boolean NOT NULL DEFAULT false;

    CREATE TABLE ${s}.turn_events (
      inbox_id   bigint NOT NULL REFERENCES ${s}.inbox (id) ON DELETE CASCADE,
      seq        integer NOT NULL,
      kind       text NOT NULL,
      data       jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (inbox_id, seq)
    );

    CREATE TABLE ${s}.api_keys (
      name            text PRIMARY KEY,
      key_hash        text NOT NULL UNIQUE,
      sessions_prefix text,
      created_at      timestamptz NOT NULL DEFAULT now(),
      revoked_at      timestamptz
    );
  `,
  // 6: outbound send budgets every worker shares: a token bucket per opaque key (a platform's bot, chat or
  // channel to the runner), refilled by elapsed time, and paused until a time a platform named (a 429's
  // retry_after). UNLOGGED: no WAL, so a take costs no fsync; after a crash or a failover the table is empty, and
  // every bucket starts full again, which only forgets a few seconds of pacing. take_send_budget is one call: it
  // creates missing buckets, locks every scope's row in key order (so two callers never deadlock), reads the clock
  // once it holds them, and takes a token from every bucket or from none, returning the wait in milliseconds.
  (s) => `
    CREATE UNLOGGED TABLE ${s}.send_budgets (
      key          text PRIMARY KEY,
      tokens       double precision NOT NULL,
      refilled_at  timestamptz NOT NULL,
      paused_until timestamptz
    );

    CREATE FUNCTION ${s}.take_send_budget(p_keys text[], p_rates double precision[], p_bursts double precision[])
    RETURNS double precision
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      t timestamptz;
      v_wait double precision;
    BEGIN
      INSERT INTO ${s}.send_budgets (key, tokens, refilled_at)
      SELECT k.key, k.burst, clock_timestamp() FROM unnest(p_keys, p_bursts) AS k(key, burst) ORDER BY k.key
      ON CONFLICT (key) DO NOTHING;
      PERFORM 1 FROM ${s}.send_budgets WHERE key = ANY (p_keys) ORDER BY key FOR UPDATE;
      t := clock_timestamp();
      SELECT coalesce(max(greatest(
               extract(epoch FROM (b.paused_until - t))::double precision * 1000,
               (1 - least(k.burst, b.tokens + greatest(0, extract(epoch FROM (t - b.refilled_at))::double precision) * k.rate)) / k.rate * 1000)), 0)
        INTO v_wait
        FROM unnest(p_keys, p_rates, p_bursts) AS k(key, rate, burst) JOIN ${s}.send_budgets b ON b.key = k.key;
      IF v_wait > 0 THEN
        RETURN v_wait;
      END IF;
      UPDATE ${s}.send_budgets b
         SET tokens = least(k.burst, b.tokens + greatest(0, extract(epoch FROM (t - b.refilled_at))::double precision) * k.rate) - 1,
             refilled_at = greatest(t, b.refilled_at)
        FROM unnest(p_keys, p_rates, p_bursts) AS k(key, rate, burst)
       WHERE b.key = k.key;
      RETURN 0;
    END
    $fn$;
  `,
  // 7: media users sent, kept by content (SHA-256, lowercase hex), so a retry after a crash never depends on an
  // expired platform URL and one file sent twice is kept once; inbox_media links an entry's attachments (by position
  // in its payload's attachments) to them, and goes with its entry.
  (s) => `
    CREATE TABLE ${s}.media (
      hash       text PRIMARY KEY,
      mime       text NOT NULL,
      size       bigint NOT NULL,
      bytes      bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE ${s}.inbox_media (
      inbox_id bigint NOT NULL REFERENCES ${s}.inbox (id) ON DELETE CASCADE,
      position integer NOT NULL,
      hash     text NOT NULL REFERENCES ${s}.media (hash),
      PRIMARY KEY (inbox_id, position)
    );
  `,
  // 8: the second de-duplication path, by platform event id at commit, goes: the runner de-duplicates on the
  // inbox's event key (unique), and nothing wrote processed_events any more.
  (s) => `
    DROP TABLE ${s}.processed_events;
  `,
  // 9: a reply part the platform accepted and later reported undelivered (a WhatsApp \`failed\` status) keeps the
  // platform's reason, found by the message id the report names.
  (s) => `
    ALTER TABLE ${s}.inbox_replies ADD COLUMN delivery_error text;
    CREATE INDEX inbox_replies_message_idx ON ${s}.inbox_replies (platform_message_id);
  `,
];
