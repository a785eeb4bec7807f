import type { HistoryStore, SessionInfo } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';

/** The session, or a one-line error that says where it was looked for; never creates it. */
export async function requireSession(store: HistoryStore, sessionId: string): Promise<SessionInfo> {
  const session = await store.getSession(sessionId);
  if (!session) {
    throw new CliError(`no session ${JSON.stringify(sessionId)} in ${store.location}: check the id with "threadline persistence list"`);
  }
  return session;
}
