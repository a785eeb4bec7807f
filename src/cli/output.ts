import type { StoredMessage } from '../store/types.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `1 session`, `2 sessions`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** One message as a human reads it: `[seq] role (name): text`, with tool calls and failure marks spelled out. */
export function formatMessage(message: StoredMessage): string {
  const who = message.name && message.role !== 'tool' ? `${message.role} (${message.name})` : message.role;
  const parts: string[] = [];
  if (message.role === 'tool') parts.push(`[${message.toolCallId ?? '?'}] ${message.name ?? 'tool'} → ${message.content ?? ''}`);
  else if (message.content) parts.push(message.content);
  for (const call of message.toolCalls ?? []) parts.push(`calls ${call.function.name}(${call.function.arguments}) [${call.id}]`);
  const meta = message.metadata ?? {};
  if (meta.failed) parts.push(`(no reply: ${String(meta.error ?? 'the LLM call failed')})`);
  if (meta.interrupted) parts.push('(no reply: interrupted)');
  return `[${message.seq}] ${who}: ${parts.join(' ')}`;
}
