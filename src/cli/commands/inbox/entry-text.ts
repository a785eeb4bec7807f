import type { InboxRecord } from '../../../store/types.js';

/** What the user wrote, from an entry's payload (the store keeps it opaque; the runner stores an InboundMessage). */
export function entryText(entry: InboxRecord, max = 60): string {
  const text = (entry.payload as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `<inbox id>` (digits) or an event key such as `telegram:7000000001:123`. */
export function parseEntryRef(ref: string): number | string {
  return /^\d+$/.test(ref) ? Number(ref) : ref;
}
