import { generateSessionId } from '../../../core/session-ids.js';
import type { ConversationStore } from '../../../store/types.js';

/** Console sessions are named `console-…` so the latest one can be found again. */
const CONSOLE_PREFIX = 'console-';
/** /new names the fresh conversation `<chat>~<time>`: such a session is a chat's conversation, not a chat. */
const CONVERSATION_MARK = '~';
/** How many recent console sessions are looked through for the latest chat. */
const LATEST_SCAN = 50;

export interface ConsoleSession {
  id: string;
  /** The store already holds this session (it is not new). */
  resumed: boolean;
  /** Where the chat's messages now go, when /new switched it away from the session itself. */
  activeConversation?: string;
}

/** The session a console talks in: the one asked for, else the latest console chat, else a new one. */
export async function chooseConsoleSession(store: ConversationStore, requested: string | undefined): Promise<ConsoleSession> {
  const id = requested ?? (await latestConsoleChat(store)) ?? `${CONSOLE_PREFIX}${generateSessionId()}`;
  const info = await store.getSession(id);
  if (!info) return { id, resumed: false };
  // Read the way the runner reads it (see BotRunner.activeConversation).
  const pointer = info.metadata.conversation;
  return { id, resumed: true, ...(typeof pointer === 'string' && pointer !== id ? { activeConversation: pointer } : {}) };
}

/** `session console-x (resumed; active conversation console-x~lq3k)`. */
export function describeConsoleSession(session: ConsoleSession): string {
  const state = !session.resumed
    ? 'new'
    : session.activeConversation
      ? `resumed; active conversation ${session.activeConversation}`
      : 'resumed';
  return `session ${session.id} (${state})`;
}

async function latestConsoleChat(store: ConversationStore): Promise<string | undefined> {
  // The conversation /new started in a chat is updated after the chat: resumed as a chat of its own, it would
  // strand the chat's /new pointer. Skip such sessions.
  const { sessions } = await store.listSessions({ prefix: CONSOLE_PREFIX, limit: LATEST_SCAN });
  return sessions.find((session) => !session.id.includes(CONVERSATION_MARK))?.id;
}
