import { sessionIds } from '../core/session-ids.js';
import type { InboundMessage } from './platform-adapter.js';

/**
 * `chat`: one session per chat (and per thread/topic inside it). `user`: in group chats, one session per user
 * too (`…:u<user id>`), so members of one group do not share a conversation.
 */
export type SessionScope = 'chat' | 'user';

/**
 * The session a message belongs to: `<platform>:<bot id>:<chat id>[:<thread id>][:u<user id>]`, each part
 * escaped (see `sessionIds.platformChat`) so no crafted platform id can reach another session.
 */
export function sessionKeyFor(message: InboundMessage, scope: SessionScope): string {
  if (message.sessionId !== undefined) return message.sessionId;
  const parts: string[] = [message.botId, message.chatId];
  if (message.threadId) parts.push(message.threadId);
  if (scope === 'user' && !message.isPrivate) parts.push(`u${message.userId}`);
  return sessionIds.platformChat(message.platform, ...parts);
}

/** Redeliveries of one platform event share this key; two bots' events never do. */
export function eventKeyFor(message: InboundMessage): string {
  return sessionIds.platformChat(message.platform, message.botId, message.eventId);
}
