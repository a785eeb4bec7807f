import type { ConversationStore, LockedSession } from '../store/types.js';
import { helpText, type CommandName } from './commands.js';

export interface CommandContext {
  store: ConversationStore;
  /** The chat's session, held locked. */
  chat: LockedSession;
  /** The chat's active conversation; /new points it elsewhere. */
  state: { conversation: string };
  agentName: string;
  modelName: string;
  /** The turn /stop was sent for was aborted. */
  stopped: boolean;
  /** The adapter's own commands, for /help. */
  adapterHelp?: string;
}

/** The reply to a chat command (after /new, the chat points at a fresh conversation; the old one stays in the store). */
export async function commandReply(command: CommandName, context: CommandContext): Promise<string> {
  const { store, chat, state } = context;
  switch (command) {
    case 'start':
      return `Hi! I'm ${context.agentName}. Send me a message to talk; /help lists the commands.`;
    case 'help':
      return context.adapterHelp ? `${helpText()}\n${context.adapterHelp}` : helpText();
    case 'new': {
      const previous = state.conversation;
      const fresh = `${chat.sessionId}~${Date.now().toString(36)}`;
      await chat.updateMetadata({ conversation: fresh });
      state.conversation = fresh;
      return `Started a new conversation. The previous one is kept as ${previous}.`;
    }
    case 'status': {
      const info = await store.getSession(state.conversation);
      return `Session: ${state.conversation}\nMessages: ${info?.messageCount ?? 0}\nModel: ${context.modelName}`;
    }
    case 'history':
      return historySummary(store, state.conversation);
    case 'stop':
      return context.stopped ? 'Stopped. Nothing of that reply was kept.' : 'Nothing to stop.';
  }
}

async function historySummary(store: ConversationStore, conversation: string): Promise<string> {
  const info = await store.getSession(conversation);
  if (!info || info.messageCount === 0) return 'This conversation is empty.';
  const recent = (await store.loadWindow(conversation, { maxMessages: 6 })).filter((m) => m.role === 'user' || m.role === 'assistant');
  const lines = recent.map((m) => `${m.role === 'user' ? (m.name ?? 'you') : 'bot'}: ${truncate(m.content ?? '', 80)}`);
  return [`${info.messageCount} messages since ${info.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Latest:`, ...lines].join('\n');
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
