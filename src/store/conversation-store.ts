import type { LockedSession } from './locked-session.js';
import type {
  AppendTurnOptions,
  AppendTurnResult,
  HistoryWindow,
  ListSessionsFilter,
  LockOptions,
  NewMessage,
  ReadMessagesOptions,
  RuntimeState,
  SessionInfo,
  SessionMetadata,
  SessionPage,
  StoredMessage,
} from './types.js';

/** Sessions, their history and runtime state, and the session lock every turn runs under. */
export interface ConversationStore {
  /** Run `fn` while no other process (or caller in this one) runs a turn on `sessionId`. */
  withSessionLock<T>(sessionId: string, fn: (session: LockedSession) => Promise<T>, options?: LockOptions): Promise<T>;
  /** Commit one turn under the session's lock (a shorthand for `withSessionLock` + `appendTurn`). */
  appendTurn(sessionId: string, messages: NewMessage[], options?: AppendTurnOptions): Promise<AppendTurnResult>;
  /** Create the session if it does not exist; two concurrent calls create one session. */
  ensureSession(sessionId: string, metadata?: SessionMetadata): Promise<SessionInfo>;
  getSession(sessionId: string): Promise<SessionInfo | null>;
  listSessions(filter?: ListSessionsFilter): Promise<SessionPage>;
  /** The last messages within `window`, oldest first, starting at a turn boundary. */
  loadWindow(sessionId: string, window?: HistoryWindow): Promise<StoredMessage[]>;
  /** Every message of the session, oldest first. */
  fullHistory(sessionId: string): Promise<StoredMessage[]>;
  /** A page of the session's messages, oldest first (empty when the session does not exist). */
  readMessages(sessionId: string, options?: ReadMessagesOptions): Promise<StoredMessage[]>;
  getRuntimeState(sessionId: string): Promise<RuntimeState | null>;
  /** Delete the session with its messages; false when there was none. */
  deleteSession(sessionId: string): Promise<boolean>;
}
