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
];
