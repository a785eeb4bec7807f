/**
 * Plain, ordered migrations, tracked in `PRAGMA user_version` and applied under `BEGIN IMMEDIATE`, so processes
 * opening one file together apply each step once. Never edit a released entry: add a new one.
 * Times are integer milliseconds since the epoch.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: sessions, append-only messages, processed platform events, cross-process session locks.
  `
  CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}',
    runtime_state TEXT,
    message_count INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_updated_idx ON sessions (updated_at DESC, id DESC);

  CREATE TABLE messages (
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    turn         INTEGER NOT NULL,
    turn_start   INTEGER NOT NULL,
    role         TEXT NOT NULL,
    content      TEXT,
    name         TEXT,
    tool_calls   TEXT,
    tool_call_id TEXT,
    metadata     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX messages_turn_start_idx ON messages (session_id, seq) WHERE turn_start;

  CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    processed_at INTEGER NOT NULL
  );
  CREATE INDEX processed_events_session_idx ON processed_events (session_id);

  -- SQLite has no advisory locks: a row per held session lock, owned by a live process (see process-identity.ts).
  CREATE TABLE session_locks (
    session_id  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started     TEXT NOT NULL,
    acquired_at INTEGER NOT NULL
  );
  `,
  // 2: the durable inbox of platform events, and the reply messages posted for them.
  `
  CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key   TEXT NOT NULL UNIQUE,
    queue       TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    received_at INTEGER NOT NULL,
    done_at     INTEGER
  );
  CREATE INDEX inbox_pending_idx ON inbox (queue, session_id, id) WHERE status = 'pending';

  CREATE TABLE inbox_replies (
    inbox_id            INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
    part                INTEGER NOT NULL,
    platform_message_id TEXT NOT NULL,
    PRIMARY KEY (inbox_id, part)
  );
  `,
  // 3: the fate ledger (see the Postgres migration 3 for what each part is for).
  `
  ALTER TABLE inbox ADD COLUMN solo INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE inbox ADD COLUMN next_attempt_at INTEGER;
  ALTER TABLE inbox ADD COLUMN last_error TEXT;
  ALTER TABLE inbox ADD COLUMN redeliveries INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE inbox ADD COLUMN draft TEXT;
  ALTER TABLE inbox ADD COLUMN turn_session TEXT;
  ALTER TABLE inbox ADD COLUMN turn INTEGER;
  UPDATE inbox SET status = 'refused' WHERE status = 'skipped';
  UPDATE inbox SET status = 'dead' WHERE status = 'failed';
  CREATE INDEX inbox_status_idx ON inbox (status, id) WHERE status <> 'done';
  CREATE INDEX inbox_session_idx ON inbox (session_id, id);

  CREATE TABLE inbox_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id    INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    stage       TEXT NOT NULL DEFAULT 'claimed',
    error_class TEXT,
    error       TEXT
  );
  CREATE INDEX inbox_attempts_entry_idx ON inbox_attempts (inbox_id, id);

  CREATE TABLE inbox_notices (
    inbox_id INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
    sent_at  INTEGER NOT NULL,
    text     TEXT NOT NULL
  );
  CREATE INDEX inbox_notices_entry_idx ON inbox_notices (inbox_id);
  `,
  // 4: what `threadline serve` needs (Postgres's migration 5, which says what each part is for; SQLite has no
  // counterpart of Postgres's migration 4, so the numbers differ by one). Turn events go with their entry through
  // the foreign key (the store turns foreign_keys on).
  `
  ALTER TABLE inbox ADD COLUMN followed INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE turn_events (
    inbox_id   INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (inbox_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE api_keys (
    name            TEXT PRIMARY KEY,
    key_hash        TEXT NOT NULL UNIQUE,
    sessions_prefix TEXT,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
  );
  `,
  // 5: outbound send budgets every worker shares (Postgres's migration 6, which says what they are for). The
  // store takes from them in one IMMEDIATE transaction; times are milliseconds of this machine's clock.
  `
  CREATE TABLE send_budgets (
    key          TEXT PRIMARY KEY,
    tokens       REAL NOT NULL,
    refilled_at  INTEGER NOT NULL,
    paused_until INTEGER
  ) WITHOUT ROWID;
  `,
  // 6: media by content, and the links from inbox entries' attachments to them (Postgres's migration 7, which says
  // what each part is for).
  `
  CREATE TABLE media (
    hash       TEXT PRIMARY KEY,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE inbox_media (
    inbox_id INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    hash     TEXT NOT NULL REFERENCES media (hash),
    PRIMARY KEY (inbox_id, position)
  ) WITHOUT ROWID;
  `,
  // 7: processed_events goes (Postgres's migration 8, which says why).
  `
  DROP TABLE processed_events;
  `,
  // 8: why a reply part was not delivered, found by its message id (Postgres's migration 9).
  `
  ALTER TABLE inbox_replies ADD COLUMN delivery_error TEXT;
  CREATE INDEX inbox_replies_message_idx ON inbox_replies (platform_message_id);
  `,
];
