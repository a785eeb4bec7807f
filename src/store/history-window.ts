import type { HistoryWindow, StoredMessage } from './types.js';

/** Rough but stable: about 4 characters a token, plus a little per message for the role and framing. */
export function estimateTokens(message: StoredMessage): number {
  const text = (message.content ?? '') + (message.toolCalls ? JSON.stringify(message.toolCalls) : '');
  return Math.ceil(text.length / 4) + 4;
}

/**
 * Trim whole turns from the front until the window fits the token budget. The newest turn is always kept:
 * an LLM call without the message it answers is worse than one over budget.
 */
export function applyTokenBudget(messages: StoredMessage[], window: HistoryWindow): StoredMessage[] {
  if (window.maxTokens === undefined || messages.length === 0) return messages;
  let total = messages.reduce((sum, m) => sum + estimateTokens(m), 0);
  let start = 0;
  const lastTurn = messages[messages.length - 1].turn;
  while (total > window.maxTokens && messages[start].turn !== lastTurn) {
    const turn = messages[start].turn;
    while (messages[start].turn === turn) total -= estimateTokens(messages[start++]);
  }
  return start === 0 ? messages : messages.slice(start);
}
