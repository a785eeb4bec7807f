import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ApiKeyNameTakenError, LockLostError, SessionBusyError, StoreNotReadyError, StoreUnavailableError } from '../errors.js';
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
import { mergeRuntimeState } from '../runtime-state.js';
import { withSessionLock, type HeldSessionLock } from '../session-lock.js';
import { checkPause, checkScopeKey, reportedWait, tokensAt, uniqueScopes, waitFor, type BucketState } from '../send-budget.js';
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
import { joinFileActivity, type FileActivity } from './file-activity.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { currentProcess, isAlive } from './process-identity.js';
import { SQLITE_SQL as SQL } from './sql.js';

/** How long a statement waits for another process's write transaction (they are short). */
const BUSY_TIMEOUT_MS = 10_000;
const MAX_POLL_MS = 20;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

/** Leases share the lock table under keys no session id can take (session ids have no control characters). */
const LEASE_PREFIX = '\u0001lease:';


export class SqliteHistoryStore implements HistoryStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  /** @internal */
  readonly stmt: Statements;

  /** Who in this process hears this store's writes (see file-activity.ts). */
  private readonly activity: FileActivity;

  private constructor(/** @internal */ readonly db: Database.Database, file: string) {
    this.location = file;
    this.activity = joinFileActivity(file);
    this.stmt = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Statements;
  }

  /** Open (creating the file and its directory if needed), migrate, and return a ready store. */
  static async open({ file, migrate: applyMigrations = true }: { file: string; migrate?: boolean }): Promise<SqliteHistoryStore> {
    let db: Database.Database | undefined;
    try {
      if (file !== ':memory:' && applyMigrations) mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS, fileMustExist: !applyMigrations });
      db.pragma('journal_mode = WAL');
      // FULL: every committed turn is on disk before appendTurn returns (WAL's default, NORMAL, is not).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      if (applyMigrations) migrate(db, file);
      return new SqliteHistoryStore(db, file);
    } catch (error) {
      db?.close();
      throw describeOpenError(error, file, applyMigrations);
    }
  }

  async schemaVersion(): Promise<{ current: number; latest: number }> {
    return { current: this.db.pragma('user_version', { simple: true }) as number, latest: SQLITE_MIGRATIONS.length };
  }

  withSessionLock<T>(sessionId: string, fn: (session: LockedSession) => Promise<T>, options?: LockOptions): Promise<T> {
    return withSessionLock((id, waitMs, preload) => this.lockSession(id, waitMs, preload), sessionId, fn, options);
  }

  /** Poll for the lock (SQLite has no lock to wait on) until `waitMs` has passed. */
  private async lockSession(sessionId: string, waitMs: number, preload: HistoryWindow | undefined): Promise<HeldSessionLock> {
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let delay = 1; !this.tryLock(sessionId, owner); delay = Math.min(delay * 2, MAX_POLL_MS)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new SessionBusyError(sessionId, waitMs);
      // Jitter keeps several waiting processes from polling in lock-step.
      await sleep(Math.min(left, delay * (0.5 + Math.random())));
    }
    try {
      return new SqliteHeldLock(this, sessionId, owner, preload && this.windowNow(sessionId, preload));
    } catch (error) {
      this.unlock(sessionId, owner);
      throw error;
    }
  }

  /** Take the lock if it is free or its holder process is gone. */
  private tryLock(sessionId: string, owner: string): boolean {
    return this.withoutSync(() =>
      this.db
        .transaction(() => {
          const holder = this.stmt.getLock.get(sessionId) as { owner: string; pid: number; started: string } | undefined;
          if (holder && isAlive(holder)) return false;
          this.stmt.putLock.run(sessionId, owner, currentProcess.pid, currentProcess.started, Date.now());
          return true;
        })
        .immediate(),
    );
  }

  /** @internal */
  unlock(sessionId: string, owner: string): void {
    if (this.db.open) this.withoutSync(() => this.stmt.releaseLock.run(sessionId, owner));
  }

  /**
   * Lock rows need no fsync of their own: after a crash, a row whose holder process is gone is free anyway
   * (see process-identity.ts), and the next durable commit writes them out with it. Turns stay synchronous=FULL.
   */
  private withoutSync<T>(write: () => T): T {
    this.db.pragma('synchronous = OFF');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  async appendTurn(sessionId: string, messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult> {
    return this.withSessionLock(sessionId, (session) => session.appendTurn(messages, options));
  }

  /** @internal Tell this process's onTurnActivity listeners about these entries; call it once their write committed. */
  announceTurnActivity(inboxIds: number[]): void {
    for (const id of inboxIds) this.activity.turns.emit(id);
  }

  async enqueueInbox(entry: InboxEntryInput): Promise<{ id: number | null; duplicate: boolean }> {
    assertValidSessionId(entry.sessionId);
    const row = this.stmt.enqueueInbox.get({
      key: entry.eventKey,
      sessionId: entry.sessionId,
      payload: JSON.stringify(entry.payload),
      now: Date.now(),
      queue: entry.queue ?? '',
      solo: entry.solo ? 1 : 0,
      refused: entry.refused ?? null,
      followed: entry.followed ? 1 : 0,
    }) as { id: number; redeliveries: number; status: string; followed: number };
    if (row.redeliveries > 0) return { id: null, duplicate: true };
    if (row.status === 'pending') this.activity.inbox.emit(entry.sessionId);
    // A refused entry has its final fate already.
    else if (row.followed) this.announceTurnActivity([row.id]);
    return { id: row.id, duplicate: false };
  }

  async listInbox(filter: InboxFilter = {}): Promise<InboxRecord[]> {
    const rows = this.stmt.listInbox.all(inboxListArguments(filter)) as InboxRecordRow[];
    return rows.map(toInboxRecord);
  }

  async inboxTimeline(idOrEventKey: number | string): Promise<InboxTimeline | null> {
    const row = this.stmt.inboxRecord.get(inboxLookup(idOrEventKey)) as InboxRecordRow | undefined;
    if (!row) return null;
    const entry = toInboxRecord(row);
    return toInboxTimeline(
      entry,
      this.stmt.inboxAttempts.all(entry.id) as InboxAttemptRow[],
      this.stmt.inboxReplies.all(entry.id) as Array<{ part: number; platform_message_id: string; delivery_error: string | null }>,
      this.stmt.inboxNotices.all(entry.id) as Array<{ sent_at: number; text: string }>,
    );
  }

  async retryInbox(id: number): Promise<boolean> {
    const row = this.stmt.retryInbox.get(id) as { session_id: string; followed: number } | undefined;
    if (row) this.activity.inbox.emit(row.session_id);
    // Its fate is open again: its follower should look.
    if (row?.followed) this.announceTurnActivity([id]);
    return row !== undefined;
  }

  async noteUndelivered(queue: string, platformMessageId: string, error: string): Promise<number[]> {
    const rows = this.stmt.noteUndelivered.all({ messageId: platformMessageId, queue, error: error }) as Array<{ id: number }>;
    return rows.map((row) => row.id);
  }

  async purgeInbox(doneBefore: Date): Promise<number> {
    return this.stmt.purgeInbox.run(doneBefore.getTime()).changes;
  }

  async pendingInboxSessions(limit = 20, queue?: string | InboxQueueSelection): Promise<string[]> {
    const params = { limit, ...queueArguments(queue), now: Date.now() };
    return (this.stmt.pendingInboxSessions.all(params) as Array<{ session_id: string }>).map((r) => r.session_id);
  }

  async onInboxActivity(listener: (sessionId: string) => void): Promise<() => Promise<void>> {
    const off = this.activity.inbox.on(listener);
    return async () => off();
  }

  /** Only this process's writes are heard (every store on this file in it): followers elsewhere poll. */
  async onTurnActivity(listener: (inboxId: number) => void): Promise<() => Promise<void>> {
    const off = this.activity.turns.on(listener);
    return async () => off();
  }

  async inboxStats(): Promise<InboxQueueStats[]> {
    return (this.stmt.inboxStats.all() as InboxQueueStatsRow[]).map(toInboxQueueStats);
  }

  async turnProgress(inboxId: number, after?: number, limit?: number): Promise<TurnProgress | null> {
    const page = pageLimit(limit, PAGE.turnEvents);
    const row = this.stmt.turnProgress.get({ id: inboxId, after: afterSeq(after), limit: page, answerLimit: ANSWER_MESSAGES }) as TurnProgressRow | undefined;
    return row ? toTurnProgress(row, page) : null;
  }

  async putMedia(media: { hash: string; mimeType: string; bytes: Buffer }): Promise<void> {
    checkMediaHash(media);
    this.stmt.putMedia.run(media.hash, media.mimeType, media.bytes.length, media.bytes, Date.now());
  }

  async getMedia(hash: string): Promise<StoredMedia | null> {
    const row = this.stmt.getMedia.get(hash) as MediaRow | undefined;
    return row ? toStoredMedia(row) : null;
  }

  async linkInboxMedia(inboxId: number, position: number, hash: string): Promise<void> {
    this.stmt.linkInboxMedia.run(inboxId, position, hash);
  }

  async inboxMedia(inboxId: number): Promise<InboxMediaLink[]> {
    return (this.stmt.inboxMedia.all(inboxId) as Array<{ position: number; hash: string }>).map((r) => ({ position: Number(r.position), hash: r.hash }));
  }

  async createApiKey(key: { name: string; keyHash: string; sessionsPrefix?: string }): Promise<ApiKeyRecord> {
    const row = this.stmt.createApiKey.get({ name: key.name, keyHash: key.keyHash, sessionsPrefix: key.sessionsPrefix ?? null, now: Date.now() }) as
      | ApiKeyRow
      | undefined;
    if (!row) throw new ApiKeyNameTakenError(key.name);
    return toApiKeyRecord(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.stmt.listApiKeys.all() as ApiKeyRow[]).map(toApiKeyRecord);
  }

  async revokeApiKey(name: string): Promise<boolean> {
    return this.stmt.revokeApiKey.run(Date.now(), name).changes > 0;
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = this.stmt.findApiKey.get(keyHash) as ApiKeyRow | undefined;
    return row ? toApiKeyRecord(row) : null;
  }

  /** One IMMEDIATE transaction; budgets need no fsync (a take lost in a crash only forgets a moment of pacing). */
  async takeSendBudget(scopes: SendBudgetScope[]): Promise<{ waitMs: number }> {
    const unique = uniqueScopes(scopes);
    if (unique.length === 0) return { waitMs: 0 };
    const waitMs = this.withoutSync(() =>
      this.db
        .transaction(() => {
          const now = Date.now();
          const buckets = unique.map((scope) => {
            const row = this.stmt.getSendBudget.get(scope.key) as { tokens: number; refilled_at: number; paused_until: number | null } | undefined;
            const bucket: BucketState = row ? { tokens: row.tokens, refilledAt: row.refilled_at, pausedUntil: row.paused_until } : { tokens: scope.burst, refilledAt: now, pausedUntil: null };
            return { scope, bucket };
          });
          const wait = Math.max(...buckets.map(({ scope, bucket }) => waitFor(bucket, scope, now)));
          if (wait > 0) return wait;
          for (const { scope, bucket } of buckets) {
            this.stmt.putSendBudget.run({ key: scope.key, tokens: tokensAt(bucket, scope, now) - 1, refilledAt: Math.max(now, bucket.refilledAt), pausedUntil: bucket.pausedUntil });
          }
          return 0;
        })
        .immediate(),
    );
    return { waitMs: reportedWait(waitMs) };
  }

  async pauseSendScope(key: string, pauseMs: number): Promise<void> {
    checkScopeKey(key);
    checkPause(pauseMs);
    this.withoutSync(() => this.stmt.pauseSendScope.run({ key, until: Math.ceil(Date.now() + pauseMs) }));
  }

  async purgeSendBudgets(idleMs: number): Promise<number> {
    checkPause(idleMs);
    const now = Date.now();
    return this.stmt.purgeSendBudgets.run({ before: now - idleMs, now }).changes;
  }

  async tryAcquireLease(name: string): Promise<Lease | null> {
    const key = LEASE_PREFIX + name;
    const owner = randomUUID();
    if (!this.tryLock(key, owner)) return null;
    return {
      name,
      // Held by this process until it releases or dies; nothing can take it away underneath.
      lost: new Promise<void>(() => {}),
      release: async () => this.unlock(key, owner),
    };
  }

  async ensureSession(sessionId: string, metadata?: SessionMetadata): Promise<SessionInfo> {
    assertValidSessionId(sessionId);
    const now = Date.now();
    this.stmt.ensureSession.run(sessionId, now, now, metadata ? JSON.stringify(metadata) : null);
    return (await this.getSession(sessionId))!;
  }

  async getSession(sessionId: string): Promise<SessionInfo | null> {
    const row = this.stmt.getSession.get(sessionId) as SessionRow | undefined;
    return row ? toSessionInfo(row) : null;
  }

  async listSessions(filter: ListSessionsFilter = {}): Promise<SessionPage> {
    const { prefix, since, cursor, limit } = sessionListArguments(filter);
    const rows = this.stmt.listSessions.all({
      prefix,
      since: since?.getTime() ?? null,
      cursorKey: cursor ? Number(cursor.updatedKey) : null,
      cursorId: cursor?.id ?? null,
      limit: limit + 1,
    }) as Array<SessionRow & { updated_at: number }>;
    return sessionPage(rows, limit, (row) => row.updated_at);
  }

  async loadWindow(sessionId: string, window: HistoryWindow = {}): Promise<StoredMessage[]> {
    return this.windowNow(sessionId, window);
  }

  /** @internal */
  windowNow(sessionId: string, window: HistoryWindow): StoredMessage[] {
    const rows = this.stmt.loadWindow.all({ id: sessionId, max: window.maxMessages ?? Number.MAX_SAFE_INTEGER }) as MessageRow[];
    return applyTokenBudget(
      rows.map((r) => toStoredMessage(sessionId, r)),
      window,
    );
  }

  async fullHistory(sessionId: string): Promise<StoredMessage[]> {
    return (this.stmt.fullHistory.all(sessionId) as MessageRow[]).map((r) => toStoredMessage(sessionId, r));
  }

  async readMessages(sessionId: string, options: ReadMessagesOptions = {}): Promise<StoredMessage[]> {
    const rows = this.stmt.readMessages.all({
      id: sessionId,
      after: afterSeq(options.afterSeq),
      turn: options.turn ?? null,
      limit: pageLimit(options.limit, PAGE.messages),
    }) as MessageRow[];
    return rows.map((r) => toStoredMessage(sessionId, r));
  }

  async getRuntimeState(sessionId: string): Promise<RuntimeState | null> {
    return this.runtimeStateNow(sessionId);
  }

  /** @internal */
  runtimeStateNow(sessionId: string): RuntimeState | null {
    const row = this.stmt.getRuntimeState.get(sessionId) as { runtime_state: string | null } | undefined;
    return row?.runtime_state ? (JSON.parse(row.runtime_state) as RuntimeState) : null;
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    return this.stmt.deleteSession.run(sessionId).changes > 0;
  }

  async close(): Promise<void> {
    this.activity.leave();
    if (this.db.open) this.db.close();
  }
}

/**
 * A session lock held as a row of session_locks under a random owner token: every write runs in one IMMEDIATE
 * transaction that first checks the row still names this owner (the fence), so a lost lock writes nothing.
 */
class SqliteHeldLock implements HeldSessionLock {
  private readonly stmt: Statements;

  constructor(
    private readonly store: SqliteHistoryStore,
    private readonly sessionId: string,
    private readonly owner: string,
    readonly preloaded: StoredMessage[] | undefined,
  ) {
    this.stmt = store.stmt;
  }

  /** Run `write` in one IMMEDIATE transaction if this owner still holds the session's lock. */
  private fenced<T>(write: () => T): T {
    return this.store.db
      .transaction(() => {
        const holder = this.stmt.getLock.get(this.sessionId) as { owner: string } | undefined;
        if (holder?.owner !== this.owner) throw new LockLostError(this.sessionId);
        return write();
      })
      .immediate();
  }

  /** End the latest attempt of each entry `write` changed. */
  private endAttempts(ids: number[], failure: AttemptFailure | undefined, write: (id: number) => number): void {
    const now = Date.now();
    for (const id of ids) {
      if (write(id) === 0) continue;
      this.stmt.endAttempt.run({ id, now, stage: failure?.stage ?? COMMITTED_STAGE, errorClass: failure?.errorClass ?? null, error: failure?.error ?? null });
    }
  }

  async loadWindow(window: HistoryWindow): Promise<StoredMessage[]> {
    return this.store.windowNow(this.sessionId, window);
  }

  async appendTurn(messages: NewMessage[], options: AppendTurnOptions): Promise<{ committed: AppendTurnResult; handedOver: boolean }> {
    const { sessionId } = this;
    const followed: number[] = [];
    const committed = this.fenced((): AppendTurnResult => {
      const now = Date.now();
      const runtimeState = options.runtimeState ? JSON.stringify(mergeRuntimeState(this.store.runtimeStateNow(sessionId), options.runtimeState)) : null;
      const { message_count: count, version } = this.stmt.advanceSession.get({
        id: sessionId,
        now,
        metadata: options.metadata ? JSON.stringify(options.metadata) : null,
        runtimeState,
        count: messages.length,
      }) as { message_count: number; version: number };
      for (const id of options.completeInbox ?? []) {
        const answered = this.stmt.answerInbox.get({ id, now, sessionId, turn: version }) as { followed: number } | undefined;
        if (answered?.followed) followed.push(id);
      }
      // In the same transaction: the lock is free exactly when the turn is visible.
      if (options.releaseLock) this.stmt.releaseLock.run(sessionId, this.owner);
      const firstSeq = count - messages.length + 1;
      messages.forEach((m, i) =>
        this.stmt.insertMessage.run({
          sessionId,
          seq: firstSeq + i,
          turn: version,
          turnStart: i === 0 ? 1 : 0,
          role: m.role,
          content: m.content,
          name: m.name ?? null,
          toolCalls: m.toolCalls ? JSON.stringify(m.toolCalls) : null,
          toolCallId: m.toolCallId ?? null,
          metadata: m.metadata ? JSON.stringify(m.metadata) : null,
          now: m.createdAt?.getTime() ?? now,
        }),
      );
      return { firstSeq, lastSeq: count, version };
    });
    this.store.announceTurnActivity(followed);
    return { committed, handedOver: options.releaseLock === true };
  }

  async getRuntimeState(): Promise<RuntimeState | null> {
    return this.store.runtimeStateNow(this.sessionId);
  }

  async updateMetadata(patch: SessionMetadata): Promise<void> {
    this.fenced(() => this.stmt.updateMetadata.run({ id: this.sessionId, now: Date.now(), patch: JSON.stringify(patch) }));
  }

  async pendingInbox(limit: number): Promise<InboxEntry[]> {
    return (this.stmt.pendingInbox.all(this.sessionId, limit) as InboxRow[]).map(toInboxEntry);
  }

  async claimInbox(limit: number, worker: string): Promise<InboxEntry[]> {
    return this.fenced(() => {
      const now = Date.now();
      const ids = (this.stmt.claimBatch.all({ id: this.sessionId, limit, now }) as Array<{ id: number }>).map((r) => r.id);
      return ids.map((id) => {
        const { attempts } = this.stmt.countAttempt.get(id) as { attempts: number };
        this.stmt.startAttempt.run(id, attempts, worker, now);
        return toInboxEntry(this.stmt.inboxEntryById.get(id) as InboxRow);
      });
    });
  }

  async deferInbox(ids: number[], failure: AttemptFailure, retryAt: Date, { refundAttempt = false }: { refundAttempt?: boolean } = {}): Promise<void> {
    const refund = refundAttempt ? 1 : 0;
    this.fenced(() => this.endAttempts(ids, failure, (id) => this.stmt.deferInbox.run({ id, retryAt: retryAt.getTime(), error: failure.error, refund }).changes));
  }

  async completeInbox(ids: number[], outcome: InboxOutcome, failure?: AttemptFailure): Promise<void> {
    const now = Date.now();
    const followed: number[] = [];
    this.fenced(() =>
      this.endAttempts(ids, failure, (id) => {
        const completed = this.stmt.completeInbox.get({ id, outcome, now, error: failure?.error ?? null }) as { followed: number } | undefined;
        if (completed?.followed) followed.push(id);
        return completed ? 1 : 0;
      }),
    );
    this.store.announceTurnActivity(followed);
  }

  async recordReplyPart(inboxId: number, part: number, platformMessageId: string): Promise<void> {
    this.fenced(() => this.stmt.recordReplyPart.run(inboxId, part, platformMessageId));
  }

  async saveDraft(inboxId: number, draft: unknown): Promise<void> {
    this.fenced(() => this.stmt.saveDraft.run(JSON.stringify(draft), inboxId));
  }

  async recordNotice(inboxId: number, text: string): Promise<void> {
    this.fenced(() => this.stmt.recordNotice.run(inboxId, Date.now(), text));
  }

  async recordTurnEvents(inboxId: number, events: NewTurnEvent[]): Promise<void> {
    const rows = turnEventsToWrite(events);
    this.fenced(() => {
      const now = Date.now();
      const { seq: last } = this.stmt.lastTurnEventSeq.get(inboxId) as { seq: number };
      rows.forEach((row, i) => this.stmt.insertTurnEvent.run({ inboxId, seq: last + i + 1, kind: row.kind, data: row.data, now }));
    });
    if (rows.length > 0) this.store.announceTurnActivity([inboxId]);
  }

  release({ handedOver }: { handedOver: boolean }): void {
    if (!handedOver) this.store.unlock(this.sessionId, this.owner);
  }
}

function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    assertSchemaNotNewer(current, SQLITE_MIGRATIONS.length, file);
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) db.exec(SQLITE_MIGRATIONS[v]);
    if (current < SQLITE_MIGRATIONS.length) db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
  }).immediate();
}

function describeOpenError(error: unknown, file: string, creating: boolean): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code;
  // Opened without migrating (fileMustExist), a missing file is a missing store, not a broken one.
  if (code === 'SQLITE_CANTOPEN' && !existsSync(file) && !creating) return new StoreNotReadyError(file, 0, SQLITE_MIGRATIONS.length);
  const hint =
    code === 'SQLITE_CANTOPEN' && existsSync(file) && statSync(file).isDirectory()
      ? `${file} is a directory: pass a file path, such as ${path.join(file, 'threadline.db')}`
      : code === 'SQLITE_CANTOPEN' && !existsSync(file)
      ? 'no such file: check the path (threadline creates the file on first use)'
      : code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
      ? 'the file is not a SQLite database or is damaged: move it aside, or pass another path'
      : code === 'SQLITE_CANTOPEN' || code === 'EACCES' || code === 'EROFS'
        ? 'cannot create or open the file: check that the directory exists and is writable'
        : code === 'SQLITE_READONLY'
          ? 'the file is read-only: check its permissions'
          : (error as Error).message;
  return new StoreUnavailableError(`cannot open SQLite store ${file}: ${hint}`, { cause: error });
}
