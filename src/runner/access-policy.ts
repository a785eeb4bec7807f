import { parseCommand } from './commands.js';
import type { InboundMessage } from './platform-adapter.js';

/**
 * In group chats: `mention_only` answers when the bot is mentioned, replied to or sent a command (default);
 * `respond_all` answers everything; `command_only` answers commands only. Private chats are always answered.
 * A command is one of Threadline's (`/new`, `/status`, …); a command the adapter knows is addressed to this bot
 * (Telegram's `/anything@thisbot`) comes `addressed`. Other bots' commands (`/report` for a moderation bot) are not.
 */
export type GroupPolicy = 'mention_only' | 'respond_all' | 'command_only';

export interface AccessOptions {
  /** User or chat ids allowed to talk to the bot; empty or absent: everyone. */
  allow?: string[];
  groupPolicy?: GroupPolicy;
}

export type AccessDecision = 'answer' | 'ignore' | 'refuse';

/** Decide what to do with a message before anything is stored: a refused sender gets one short reply, nothing else. */
export function decideAccess(message: InboundMessage, options: AccessOptions): AccessDecision {
  if (!message.isPrivate) {
    const policy = options.groupPolicy ?? 'mention_only';
    // A platform's slash command (Discord's /ask) is the bot's own command even when its text is a plain message.
    const command = message.slashCommand !== undefined || parseCommand(message.text) !== undefined;
    const wanted = policy === 'respond_all' || command || (policy === 'mention_only' && message.addressed);
    if (!wanted) return 'ignore';
  }
  const allow = options.allow ?? [];
  if (allow.length > 0 && !allow.includes(message.userId) && !allow.includes(message.chatId)) return 'refuse';
  return 'answer';
}
