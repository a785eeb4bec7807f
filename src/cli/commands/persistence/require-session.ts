import type { ConversationStore, SessionInfo, StoreAdmin } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';

/** The session, or a one-line error (exit 2) that says where it was looked for and what to do; never creates it. */
export async function requireSession(
  store: Pick<ConversationStore, 'getSession'> & Pick<StoreAdmin, 'location'>,
  sessionId: string,
  hint = 'check the id with "threadline persistence list"',
): Promise<SessionInfo> {
  const session = await store.getSession(sessionId);
  if (!session) throw new CliError(`no session ${JSON.stringify(sessionId)} in ${store.location}: ${hint}`);
  return session;
}
