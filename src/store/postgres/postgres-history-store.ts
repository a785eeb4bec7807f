import { createHash } from 'node:crypto';
import pg from 'pg';
import { ApiKeyNameTakenError, LockLostError, SessionBusyError, isStoreUnreachable } from '../errors.js';
import { assertSchemaNotNewer } from '../schema-version.js';
import { applyTokenBudget } from '../history-window.js';
import { afterSeq, PAGE, pageLimit } from '../paging.js';
import { inboxListArguments, inboxLookup, queueArguments, sessionListArguments, sessionPage } from '../query-arguments.js';
import {
  ANSWER_MESSAGES,
  COMMITTED_STAGE,
  toApiKeyRecord,
  toStoredMedia,
  checkMediaHash,
  type MediaRow,
  toInboxEntry,
  toInboxQueueStats,
  toInboxRecord,
  toInboxTimeline,
  toSessionInfo,
  toStoredMessage,
  toTurnProgress,
  turnEventsToWrite,
  type ApiKeyRow,
  type InboxAttemptRow,
  type InboxQueueStatsRow,
  type InboxRecordRow,
  type InboxRow,
  type MessageRow,
  type SessionRow,
  type TurnProgressRow,
} from '../row-mapping.js';
import { withSessionLock, type HeldSessionLock } from '../session-lock.js';
import { checkPause, checkScopeKey, reportedWait, uniqueScopes } from '../send-budget.js';
import { assertValidSessionId } from '../session-id.js';
import type {
  ApiKeyRecord,
  InboxMediaLink,
  StoredMedia,
  AttemptFailure,
  InboxFilter,
  InboxRecord,
  InboxTimeline,
  AppendTurnOptions,
  AppendTurnResult,
  HistoryStore,
  HistoryWindow,
  InboxEntry,
  InboxEntryInput,
  InboxOutcome,
  InboxQueueStats,
  InboxQueueSelection,
  Lease,
  ListSessionsFilter,
  LockedSession,
  LockOptions,
  NewMessage,
  NewTurnEvent,
  ReadMessagesOptions,
  RuntimeState,
  SendBudgetScope,
  SessionInfo,
  SessionMetadata,
  SessionPage,
  StoredMessage,
  TurnProgress,
} from '../types.js';
import { describeConnectionError } from './connection-error.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { postgresSql, type PostgresSql } from './sql.js';
import { listenForNotifications } from './notification-listener.js';
import { checkOutWatched, type WatchedClient } from './watched-client.js';

/**
 * bigint counters fit comfortably in a JS number: the store's connections parse them as such instead of strings.
 * Set on the pool, not with pg.types.setTypeParser, which would change every other pg user in the process.
 */
const STORE_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresStoreOptions {
  connectionString: string;
  schema: string;
  /** The URL without its password, for messages. */
  redacted: string;
  /** Connections in this process's pool (each turn in progress holds one). Default 10. */
  poolSize?: number;
  /** Apply pending migrations at open (default true). */
  migrate?: boolean;
}

const ALL = Number.MAX_SAFE_INTEGER;

type Queryable = pg.Pool | pg.PoolClient;
type StatementName = Exclude<keyof PostgresSql, 'createMigrationTable'>;

export class PostgresHistoryStore implements HistoryStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly sql: PostgresSql;
  private readonly statementPrefix: string;
  /** NOTIFY channel of this schema's inbox: the session id of each new entry (see onInboxActivity). */
  private readonly channel: string;
  /** NOTIFY channel of this schema's turn logs: the inbox id of each entry with news (see onTurnActivity). */
  /** @internal */
  readonly turnChannel: string;

  private constructor(/** @internal */ readonly options: PostgresStoreOptions) {
    this.location = options.redacted;
    this.sql = postgresSql(options.schema);
    this.statementPrefix = createHash('sha1').update(options.schema).digest('hex').slice(0, 16);
    // Derived from the schema, so stores on other schemas of the database hear nothing of this one; as a digest,
    // because channel names are limited to 63 bytes.
    const digest = createHash('sha1').update(options.schema).digest('hex').slice(0, 24);
    this.channel = `threadline_${digest}`;
    this.turnChannel = `threadline_t_${digest}`;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      types: STORE_TYPES,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      application_name: 'threadline',
      // Every statement is a named prepared statement (see q()): plan it once per connection. Left to its
      // default, Postgres re-plans the turn's CTE for each call, a good part of a turn's server time.
      options: '-c plan_cache_mode=force_generic_plan',
    });
    // An idle client whose server went away must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  /**
   * A named prepared statement: each connection parses and plans it once, not on every turn. The schema is part
   * of the name because one process may hold stores on several schemas; as a digest, because Postgres cuts names
   * at 63 bytes and two statements of a long schema name would otherwise share one.
   */
  /** @internal */
  q(name: StatementName, values: unknown[]): pg.QueryConfig {
    return { name: `tl:${this.statementPrefix}:${name}`, text: this.sql[name], values };
  }

  /** Connect, apply pending migrations, and return a ready store; a bad URL fails here with one clear line. */
  static async open(options: PostgresStoreOptions): Promise<PostgresHistoryStore> {
    const store = new PostgresHistoryStore(options);
    try {
      if (options.migrate === false) await store.pool.query('SELECT 1');
      else await store.migrate();
    } catch (error) {
      await store.pool.end().catch(() => {});
      // Also a connection the server (or something posing as it) closed before answering: it has no code.
      if ((error as { code?: string }).code?.match(/^(E[A-Z]+|28...|3D000)$/) || isStoreUnreachable(error)) {
        throw describeConnectionError(error, options.connectionString, options.redacted);
      }
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const held = await checkOutWatched(this.pool);
    const { client } = held;
    try {
      await client.query('BEGIN');
      await client.query(this.sql.migrationLock, [this.options.schema]);
      await client.query(this.sql.createMigrationTable);
      const { rows } = await client.query<{ version: number }>(this.sql.currentVersion);
      assertSchemaNotNewer(rows[0].version, POSTGRES_MIGRATIONS.length, this.location);
      for (let v = rows[0].version; v < POSTGRES_MIGRATIONS.length; v++) {
        await client.query(POSTGRES_MIGRATIONS[v](`"${this.options.schema}"`));
        await client.query(this.sql.recordMigration, [v + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      held.release();
    }
  }

  async schemaVersion(): Promise<{ current: number; latest: number }> {
    const { rows } = await this.pool.query<{ present: boolean }>(this.sql.migrationTableExists);
    const current = rows[0].present ? (await this.pool.query<{ version: number }>(this.sql.currentVersion)).rows[0].version : 0;
    return { current, latest: POSTGRES_MIGRATIONS.length };
  }

  withSessionLock<T>(sessionId: string, fn: (session: LockedSession) => Promise<T>, options?: LockOptions): Promise<T> {
    return withSessionLock((id, waitMs, preload) => this.lockSession(id, waitMs, preload), sessionId, fn, options);
  }

  /**
   * The lock is a session-level advisory lock on a connection of its own, so Postgres releases it if this process
   * dies and the connection drops. lock_timeout bounds the wait; the window comes in the same call.
   */
  private async lockSession(sessionId: string, waitMs: number, preload: HistoryWindow | undefined): Promise<HeldSessionLock> {
    const held = await checkOutWatched(this.pool);
    try {
      const { rows } = await held.client.query<MessageRow & { locked: boolean }>(
        this.q('lockSession', [this.options.schema, sessionId, waitMs, preload ? (preload.maxMessages ?? ALL) : null]),
      );
      if (!rows[0].locked) throw new SessionBusyError(sessionId, 0);
      const preloaded = preload && applyTokenBudget(rows.filter((r) => r.seq !== null).map((r) => toStoredMessage(sessionId, r)), preload);
      return new PostgresHeldLock(this, held, sessionId, preloaded);
    } catch (error) {
      held.release();
      if ((error as { code?: string }).code === '55P03') throw new SessionBusyError(sessionId, waitMs);
      throw error;
    }
  }

  async appendTurn(sessionId: string, messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult> {
    return this.withSessionLock(sessionId, (session) => session.appendTurn(messages, options));
  }

  async enqueueInbox(entry: InboxEntryInput): Promise<{ id: number | null; duplicate: boolean }> {
    assertValidSessionId(entry.sessionId);
    const { rows } = await this.pool.query<{ id: number; inserted: boolean }>(
      this.q('enqueueInbox', [
        entry.eventKey,
        entry.sessionId,
        JSON.stringify(entry.payload),
        this.channel,
        entry.queue ?? '',
        entry.solo ?? false,
        entry.refused ?? null,
        entry.followed ?? false,
        this.turnChannel,
      ]),
    );
    return rows[0].inserted ? { id: rows[0].id, duplicate: false } : { id: null, duplicate: true };
  }

  async listInbox(filter: InboxFilter = {}): Promise<InboxRecord[]> {
    const { status, sessionId, limit } = inboxListArguments(filter);
    const { rows } = await this.pool.query<InboxRecordRow>(this.q('listInbox', [status, sessionId, limit]));
    return rows.map(toInboxRecord);
  }

  async inboxTimeline(idOrEventKey: number | string): Promise<InboxTimeline | null> {
    const { id, key } = inboxLookup(idOrEventKey);
    const { rows } = await this.pool.query<InboxRecordRow>(this.q('inboxEntry', [id, key]));
    if (!rows[0]) return null;
    const entry = toInboxRecord(rows[0]);
    const [attempts, replies, notices] = await Promise.all([
      this.pool.query<InboxAttemptRow>(this.q('inboxAttempts', [entry.id])),
      this.pool.query<{ part: number; platform_message_id: string; delivery_error: string | null }>(this.q('inboxReplies', [entry.id])),
      this.pool.query<{ sent_at: Date; text: string }>(this.q('inboxNotices', [entry.id])),
    ]);
    return toInboxTimeline(entry, attempts.rows, replies.rows, notices.rows);
  }

  async retryInbox(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(this.q('retryInbox', [id, this.channel, this.turnChannel]));
    return (rowCount ?? 0) > 0;
  }

  async noteUndelivered(queue: string, platformMessageId: string, error: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: string }>(this.q('noteUndelivered', [platformMessageId, queue, error]));
    return rows.map((row) => Number(row.id));
  }

  async purgeInbox(doneBefore: Date): Promise<number> {
    const { rowCount } = await this.pool.query(this.q('purgeInbox', [doneBefore]));
    return rowCount ?? 0;
  }

  async pendingInboxSessions(limit = 20, queue?: string | InboxQueueSelection): Promise<string[]> {
    const selection = queueArguments(queue);
    const { rows } = await this.pool.query<{ session_id: string }>(
      this.q('pendingInboxSessions', [limit, selection.queue, selection.also, selection.prefix]),
    );
    return rows.map((r) => r.session_id);
  }

  /**
   * Never rejects: while Postgres is away the listener is re-established in the background, and after each
   * reconnect `listener` is called once with '' (notifications may have been missed: look again).
   */
  onInboxActivity(listener: (sessionId: string) => void): Promise<() => Promise<void>> {
    return listenForNotifications({ connectionString: this.options.connectionString, channel: this.channel, listener });
  }

  /** As onInboxActivity, on the turn channel; the "look again" after a reconnect is inbox id 0 (no entry has it). */
  onTurnActivity(listener: (inboxId: number) => void): Promise<() => Promise<void>> {
    return listenForNotifications({
      connectionString: this.options.connectionString,
      channel: this.turnChannel,
      listener: (payload) => listener(payload === '' ? 0 : Number(payload)),
    });
  }

  async inboxStats(): Promise<InboxQueueStats[]> {
    const { rows } = await this.pool.query<InboxQueueStatsRow>(this.q('inboxStats', []));
    return rows.map(toInboxQueueStats);
  }

  async turnProgress(inboxId: number, after?: number, limit?: number): Promise<TurnProgress | null> {
    const page = pageLimit(limit, PAGE.turnEvents);
    const { rows } = await this.pool.query<TurnProgressRow>(this.q('turnProgress', [inboxId, afterSeq(after), page, ANSWER_MESSAGES]));
    return rows[0] ? toTurnProgress(rows[0], page) : null;
  }

  async putMedia(media: { hash: string; mimeType: string; bytes: Buffer }): Promise<void> {
    checkMediaHash(media);
    await this.pool.query(this.q('putMedia', [media.hash, media.mimeType, media.bytes]));
  }

  async getMedia(hash: string): Promise<StoredMedia | null> {
    const { rows } = await this.pool.query<MediaRow>(this.q('getMedia', [hash]));
    return rows[0] ? toStoredMedia(rows[0]) : null;
  }

  async linkInboxMedia(inboxId: number, position: number, hash: string): Promise<void> {
    await this.pool.query(this.q('linkInboxMedia', [inboxId, position, hash]));
  }

  async inboxMedia(inboxId: number): Promise<InboxMediaLink[]> {
    const { rows } = await this.pool.query<{ position: number; hash: string }>(this.q('inboxMedia', [inboxId]));
    return rows.map((r) => ({ position: Number(r.position), hash: r.hash }));
  }

  async createApiKey(key: { name: string; keyHash: string; sessionsPrefix?: string }): Promise<ApiKeyRecord> {
    const { rows } = await this.pool.query<ApiKeyRow>(this.q('createApiKey', [key.name, key.keyHash, key.sessionsPrefix ?? null]));
    if (!rows[0]) throw new ApiKeyNameTakenError(key.name);
    return toApiKeyRecord(rows[0]);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<ApiKeyRow>(this.q('listApiKeys', []));
    return rows.map(toApiKeyRecord);
  }

  async revokeApiKey(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(this.q('revokeApiKey', [name]));
    return (rowCount ?? 0) > 0;
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<ApiKeyRow>(this.q('findApiKey', [keyHash]));
    return rows[0] ? toApiKeyRecord(rows[0]) : null;
  }

  async takeSendBudget(scopes: SendBudgetScope[]): Promise<{ waitMs: number }> {
    const unique = uniqueScopes(scopes);
    if (unique.length === 0) return { waitMs: 0 };
    const { rows } = await this.pool.query<{ wait_ms: number }>(
      this.q('takeSendBudget', [unique.map((k) => k.key), unique.map((k) => k.ratePerSec), unique.map((k) => k.burst)]),
    );
    return { waitMs: reportedWait(rows[0].wait_ms) };
  }

  async pauseSendScope(key: string, pauseMs: number): Promise<void> {
    checkScopeKey(key);
    checkPause(pauseMs);
    await this.pool.query(this.q('pauseSendScope', [key, pauseMs]));
  }

  async purgeSendBudgets(idleMs: number): Promise<number> {
    checkPause(idleMs);
    const { rowCount } = await this.pool.query(this.q('purgeSendBudgets', [idleMs]));
    return rowCount ?? 0;
  }

  async tryAcquireLease(name: string): Promise<Lease | null> {
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: 'threadline-lease' });
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => (markLost = resolve));
    // The lease lives as long as this connection: its drop is how the holder learns it must stop.
    client.on('error', () => markLost());
    client.on('end', () => markLost());
    let locked = false;
    try {
      await client.connect();
      locked = (await client.query<{ locked: boolean }>(this.sql.tryLease, [this.options.schema, name])).rows[0].locked;
    } finally {
      if (!locked) await client.end().catch(() => {});
    }
    if (!locked) return null;
    let released = false;
    return {
      name,
      lost,
      release: async () => {
        if (released) return;
        released = true;
        // Ending the connection releases the advisory lock with it.
        await client.end().catch(() => {});
      },
    };
  }

  async ensureSession(sessionId: string, metadata?: SessionMetadata): Promise<SessionInfo> {
    assertValidSessionId(sessionId);
    await this.pool.query(this.q('ensureSession', [sessionId, metadata ? JSON.stringify(metadata) : null]));
    return (await this.getSession(sessionId))!;
  }

  async getSession(sessionId: string): Promise<SessionInfo | null> {
    const { rows } = await this.pool.query<SessionRow>(this.q('getSession', [sessionId]));
    return rows[0] ? toSessionInfo(rows[0]) : null;
  }

  async listSessions(filter: ListSessionsFilter = {}): Promise<SessionPage> {
    const { prefix, since, cursor, limit } = sessionListArguments(filter);
    const { rows } = await this.pool.query<SessionRow & { updated_us: string }>(
      this.q('listSessions', [prefix, since, cursor?.updatedKey ?? null, cursor?.id ?? null, limit + 1]),
    );
    return sessionPage(rows, limit, (row) => row.updated_us);
  }

  loadWindow(sessionId: string, window: HistoryWindow = {}): Promise<StoredMessage[]> {
    return this.loadWindowOn(this.pool, sessionId, window);
  }

  /** @internal */
  async loadWindowOn(db: Queryable, sessionId: string, window: HistoryWindow): Promise<StoredMessage[]> {
    const { rows } = await db.query<MessageRow>(this.q('loadWindow', [sessionId, window.maxMessages ?? ALL]));
    return applyTokenBudget(
      rows.map((r) => toStoredMessage(sessionId, r)),
      window,
    );
  }

  async fullHistory(sessionId: string): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(this.q('fullHistory', [sessionId]));
    return rows.map((r) => toStoredMessage(sessionId, r));
  }

  async readMessages(sessionId: string, options: ReadMessagesOptions = {}): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      this.q('readMessages', [sessionId, afterSeq(options.afterSeq), options.turn ?? null, pageLimit(options.limit, PAGE.messages)]),
    );
    return rows.map((r) => toStoredMessage(sessionId, r));
  }

  getRuntimeState(sessionId: string): Promise<RuntimeState | null> {
    return this.getRuntimeStateOn(this.pool, sessionId);
  }

  /** @internal */
  async getRuntimeStateOn(db: Queryable, sessionId: string): Promise<RuntimeState | null> {
    const { rows } = await db.query<{ runtime_state: RuntimeState | null }>(this.q('getRuntimeState', [sessionId]));
    return rows[0]?.runtime_state ?? null;
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(this.q('deleteSession', [sessionId]));
    return (rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * A session lock held on its own pooled connection: every statement runs there, fenced in SQL on the lock that
 * connection holds. Once the connection dropped, `lostWith` says so (the handle then refuses without a round trip);
 * a call in flight at the drop rejects with the driver's error itself.
 */
class PostgresHeldLock implements HeldSessionLock {
  constructor(
    private readonly store: PostgresHistoryStore,
    private readonly held: WatchedClient,
    private readonly sessionId: string,
    readonly preloaded: StoredMessage[] | undefined,
  ) {}

  get lostWith(): Error | undefined {
    return this.held.lostWith;
  }

  private get schema(): string {
    return this.store.options.schema;
  }

  private query<Row extends pg.QueryResultRow>(name: Parameters<PostgresHistoryStore['q']>[0], values: unknown[]): Promise<pg.QueryResult<Row>> {
    return this.held.client.query<Row>(this.store.q(name, values));
  }

  /** The fence: a statement whose lock check failed wrote nothing, and says so by its answer. */
  private fence(held: boolean | number | null | undefined): void {
    if (!held) throw new LockLostError(this.sessionId);
  }

  loadWindow(window: HistoryWindow): Promise<StoredMessage[]> {
    return this.store.loadWindowOn(this.held.client, this.sessionId, window);
  }

  async appendTurn(messages: NewMessage[], options: AppendTurnOptions): Promise<{ committed: AppendTurnResult; handedOver: boolean }> {
    const { rows } = await this.query<{ locked: boolean; handed_over: boolean | null; message_count: number | null; version: number | null }>('appendTurn', [
      this.schema,
      this.sessionId,
      JSON.stringify(messages),
      options.runtimeState ? JSON.stringify(options.runtimeState) : null,
      options.metadata ? JSON.stringify(options.metadata) : null,
      options.completeInbox ?? [],
      options.releaseLock === true,
      this.store.turnChannel,
    ]);
    const row = rows[0];
    this.fence(row.locked && row.version !== null && row.message_count !== null);
    return {
      committed: { firstSeq: row.message_count! - messages.length + 1, lastSeq: row.message_count!, version: row.version! },
      handedOver: row.handed_over === true,
    };
  }

  getRuntimeState(): Promise<RuntimeState | null> {
    return this.store.getRuntimeStateOn(this.held.client, this.sessionId);
  }

  async updateMetadata(patch: SessionMetadata): Promise<void> {
    this.fence((await this.query('updateMetadata', [this.schema, this.sessionId, JSON.stringify(patch)])).rowCount);
  }

  async pendingInbox(limit: number): Promise<InboxEntry[]> {
    return (await this.query<InboxRow>('pendingInbox', [this.sessionId, limit])).rows.map(toInboxEntry);
  }

  async claimInbox(limit: number, worker: string): Promise<InboxEntry[]> {
    const { rows } = await this.query<InboxRow & { locked: boolean }>('claimInbox', [this.schema, this.sessionId, limit, worker]);
    this.fence(rows[0].locked);
    return rows.filter((row) => row.id !== null).map(toInboxEntry);
  }

  async deferInbox(ids: number[], failure: AttemptFailure, retryAt: Date, { refundAttempt = false }: { refundAttempt?: boolean } = {}): Promise<void> {
    const { rows } = await this.query<{ locked: boolean }>('deferInbox', [
      this.schema, this.sessionId, ids, retryAt, failure.stage, failure.errorClass, failure.error, refundAttempt,
    ]);
    this.fence(rows[0].locked);
  }

  async completeInbox(ids: number[], outcome: InboxOutcome, failure?: AttemptFailure): Promise<void> {
    const { rows } = await this.query<{ locked: boolean }>('completeInbox', [
      this.schema,
      this.sessionId,
      ids,
      outcome,
      failure?.stage ?? COMMITTED_STAGE,
      failure?.errorClass ?? null,
      failure?.error ?? null,
      this.store.turnChannel,
    ]);
    this.fence(rows[0].locked);
  }

  async recordReplyPart(inboxId: number, part: number, platformMessageId: string): Promise<void> {
    this.fence((await this.query('recordReplyPart', [this.schema, this.sessionId, inboxId, part, platformMessageId])).rowCount);
  }

  async saveDraft(inboxId: number, draft: unknown): Promise<void> {
    this.fence((await this.query('saveDraft', [this.schema, this.sessionId, inboxId, JSON.stringify(draft)])).rowCount);
  }

  async recordNotice(inboxId: number, text: string): Promise<void> {
    this.fence((await this.query('recordNotice', [this.schema, this.sessionId, inboxId, text])).rowCount);
  }

  async recordTurnEvents(inboxId: number, events: NewTurnEvent[]): Promise<void> {
    const { rows } = await this.query<{ locked: boolean }>('recordTurnEvents', [
      this.schema, this.sessionId, inboxId, JSON.stringify(turnEventsToWrite(events)), this.store.turnChannel,
    ]);
    this.fence(rows[0].locked);
  }

  release({ handedOver, failure }: { handedOver: boolean; failure?: unknown }): void {
    const databaseError = failure instanceof pg.DatabaseError ? failure : undefined;
    if (databaseError || this.held.lostWith) {
      // After a failed statement the connection's prepared-statement cache may disagree with the server
      // (a later use then fails with 42P05/26000): close it, which releases the lock with it. A dropped
      // connection is closed too; Postgres released its lock when the backend went.
      this.held.release(databaseError);
    } else if (handedOver) {
      // The last commit released the lock already.
      this.held.release();
    } else {
      // Not awaited: the caller has its result a round trip sooner; the connection goes back to the pool only
      // once the unlock has run. Should the unlock fail, the connection is closed, which releases the lock too:
      // a pooled connection never keeps one.
      this.query('unlock', [this.schema, this.sessionId]).then(
        () => this.held.release(),
        (error: Error) => this.held.release(error),
      );
    }
  }
}
