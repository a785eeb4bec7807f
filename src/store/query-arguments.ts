import { PAGE, pageLimit } from './paging.js';
import { decodeCursor, encodeCursor, toSessionInfo, type SessionRow } from './row-mapping.js';
import type { InboxFilter, InboxQueueSelection, InboxStatus, ListSessionsFilter, SessionPage } from './types.js';

/**
 * The arguments of the list and lookup calls as both backends' SQL takes them (null for "any"), checked and
 * defaulted once, and the session page built from the rows alike: each backend only binds them to its statement.
 */

/** `listSessions`: one row more than `limit` is fetched, to know whether a next page exists (see sessionPage). */
export function sessionListArguments(filter: ListSessionsFilter): {
  prefix: string | null;
  since: Date | null;
  cursor: { updatedKey: string; id: string } | null;
  limit: number;
} {
  return {
    prefix: filter.prefix ?? null,
    since: filter.updatedSince ?? null,
    cursor: filter.cursor ? decodeCursor(filter.cursor) : null,
    limit: pageLimit(filter.limit, PAGE.sessions),
  };
}

/** The page of `rows` (fetched with `limit + 1`), its cursor made of the last row's `cursorKey` (its update time). */
export function sessionPage<Row extends SessionRow>(rows: Row[], limit: number, cursorKey: (row: Row) => string | number): SessionPage {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    sessions: page.map(toSessionInfo),
    ...(rows.length > limit && last ? { nextCursor: encodeCursor(cursorKey(last), last.id) } : {}),
  };
}

export function inboxListArguments(filter: InboxFilter): { status: InboxStatus | null; sessionId: string | null; limit: number } {
  return { status: filter.status ?? null, sessionId: filter.sessionId ?? null, limit: pageLimit(filter.limit, PAGE.inbox) };
}

/** `inboxTimeline`'s reference: an inbox id (a number), or an event key or platform event id (a string). */
export function inboxLookup(idOrEventKey: number | string): { id: number | null; key: string | null } {
  return typeof idOrEventKey === 'number' ? { id: idOrEventKey, key: null } : { id: null, key: idOrEventKey };
}

/** `pendingInboxSessions`' queue: any (null), one, or one and another's entries under a session-id prefix. */
export function queueArguments(queue: string | InboxQueueSelection | undefined): { queue: string | null; also: string | null; prefix: string | null } {
  const { queue: name, also } = typeof queue === 'object' ? queue : { queue, also: undefined };
  return { queue: name ?? null, also: also?.queue ?? null, prefix: also?.sessionPrefix ?? null };
}
