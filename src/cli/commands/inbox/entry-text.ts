import { viewInboxPayload } from '../../../runner/inbox-payload.js';
import type { InboxRecord, InboxStore, InboxTimeline } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';

/** What the user wrote, from an entry's payload, even one a worker cannot read (see `viewInboxPayload`). */
export function entryText(entry: InboxRecord, max = 60): string {
  const { text = '', held } = viewInboxPayload(entry.payload);
  // A message without text (a voice message, an order): what it held, in brackets.
  const flat = text.replace(/\s+/g, ' ').trim() || (held.length > 0 ? `[${held.join(', ')}]` : '');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * An entry by inbox id (digits), event key (`telegram:7000000001:123`) or platform event id (`123`), in that order;
 * an unknown one is bad input (exit 2), like an unknown session.
 */
export async function requireEntry(store: InboxStore, ref: string): Promise<InboxTimeline> {
  const timeline = (/^\d+$/.test(ref) ? await store.inboxTimeline(Number(ref)) : null) ?? (await store.inboxTimeline(ref));
  if (!timeline) throw new CliError(`no inbox entry ${ref}: pass an inbox id, event key or platform event id from "threadline inbox ls"`, 2);
  return timeline;
}
