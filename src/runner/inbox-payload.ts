import { z } from 'zod';
import type { InboxRecord } from '../store/types.js';
import type { Attachment, ContentItem } from './message-content.js';
import type { InboundMessage, ReplyTarget } from './platform-adapter.js';

/*
 * The inbox payload: what the runner records for a message and reads back when a worker claims it, maybe from
 * another release (a deploy happens while entries are pending). The store keeps it as opaque JSON; this module is
 * the one place that writes and reads it.
 *
 * Shape: the message's own fields with a version beside them, `{ v: 1, ...message }`, not `{ v: 1, message }`.
 * Flat, a worker of the previous release (which casts the payload to an InboundMessage) still answers entries this
 * release records during a rolling deploy; rows of that release (no `v`) are version 0, the same message shape.
 *
 * What the version promises: a reader of version N reads every version ≤ N (older ones upgraded below), and
 * refuses newer ones. A release bumps it for any change an older reader would misread: a field renamed, removed
 * or made required, a new attachment or item kind. An optional field added is no bump: readers ignore fields they
 * do not know (zod drops them), so the schema catches what breaks the runner (a required field missing, a wrong
 * type, a kind it has no words for) and nothing that merely extends the message.
 */

/** The version this release writes. */
export const INBOX_PAYLOAD_VERSION = 1;

const replyTargetSchema = z.object({
  chatId: z.string(),
  threadId: z.string().optional(),
  replyToMessageId: z.string().optional(),
}) satisfies z.ZodType<ReplyTarget>;

const attachmentSchema = z.object({
  kind: z.enum(['image', 'animation', 'video', 'video_note', 'audio', 'voice', 'document', 'sticker']),
  mimeType: z.string().optional(),
  fileName: z.string().optional(),
  platformFileId: z.string().optional(),
  url: z.string().optional(),
  size: z.number().optional(),
  durationSeconds: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  description: z.string().optional(),
}) satisfies z.ZodType<Attachment>;

const contentItemSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('location'), latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }),
  z.object({ kind: z.literal('contact'), name: z.string().optional(), phones: z.array(z.string()) }),
  z.object({ kind: z.literal('dice'), emoji: z.string(), value: z.number() }),
  z.object({ kind: z.literal('poll'), question: z.string(), options: z.array(z.string()) }),
  z.object({ kind: z.literal('choice'), via: z.enum(['button', 'button_reply', 'list_reply', 'callback_query']), title: z.string(), payload: z.string().optional() }),
]) satisfies z.ZodType<ContentItem>;

const inboundMessageSchema = z.object({
  platform: z.string(),
  botId: z.string(),
  chatId: z.string(),
  threadId: z.string().optional(),
  userId: z.string(),
  userName: z.string().optional(),
  eventId: z.string(),
  messageId: z.string().optional(),
  text: z.string(),
  attachments: z.array(attachmentSchema).optional(),
  items: z.array(contentItemSchema).optional(),
  unsupported: z.string().optional(),
  isPrivate: z.boolean(),
  addressed: z.boolean(),
  replyTarget: replyTargetSchema,
  sessionId: z.string().optional(),
  slashCommand: z.string().optional(),
}) satisfies z.ZodType<InboundMessage>;

/**
 * How each version still read is turned into the current message. Version 0 (no `v`, before payloads had one) has
 * the same shape as version 1. A version 2 that renames a field adds its own schema, and version 0 and 1 rows get
 * a schema that parses the old shape and transforms it into the new one.
 */
const READERS: Record<number, z.ZodType<InboundMessage>> = {
  0: inboundMessageSchema,
  1: inboundMessageSchema,
};

export type InboxPayload = InboundMessage & { v: typeof INBOX_PAYLOAD_VERSION };

/** The payload to record for a message (already made storable). The version goes last: no field can override it. */
export function toInboxPayload(message: InboundMessage): InboxPayload {
  return { ...message, v: INBOX_PAYLOAD_VERSION };
}

export type InboxPayloadRead =
  | { ok: true; message: InboundMessage; version: number }
  /**
   * `reason` is one line naming what did not parse (never the payload's content). `replyTarget`: where the sender
   * can still be told, when the payload says so in a shape this release reads.
   */
  | { ok: false; reason: string; replyTarget?: ReplyTarget };

/** A recorded payload as the current message, or why it cannot be read. */
export function readInboxPayload(raw: unknown): InboxPayloadRead {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: `unreadable inbox payload: ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not an object` };
  }
  const unreadable = (what: string): InboxPayloadRead => {
    const target = replyTargetOf(raw);
    return { ok: false, reason: `unreadable inbox payload: ${what}`, ...(target ? { replyTarget: target } : {}) };
  };
  const version = 'v' in raw ? raw.v : 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return unreadable(`version ${JSON.stringify(version)} is not a version number`);
  if (version > INBOX_PAYLOAD_VERSION) return unreadable(`version ${version} is newer than this Threadline (${INBOX_PAYLOAD_VERSION}); upgrade the worker`);
  const parsed = READERS[version].safeParse(raw);
  if (!parsed.success) return unreadable(`${version === 0 ? 'unversioned' : `version ${version}`}, ${describeIssue(parsed.error.issues[0])}`);
  return { ok: true, message: parsed.data, version };
}

/** `field replyTarget.chatId: expected string, received undefined`: the first problem, in one line. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  const message = issue.message.replace(/^Invalid input: /, '');
  return path === '' ? message : `field ${path}: ${message}`;
}

/** The reply address of a payload that does not read as a whole: its reply target, else its chat. */
function replyTargetOf(raw: object): ReplyTarget | undefined {
  const fields = raw as { replyTarget?: unknown; chatId?: unknown };
  const target = replyTargetSchema.safeParse(fields.replyTarget);
  if (target.success) return target.data;
  return typeof fields.chatId === 'string' && fields.chatId !== '' ? { chatId: fields.chatId } : undefined;
}

/** What a payload shows an operator: the message's text and media kinds, read even from a payload that fails. */
export interface InboxPayloadView {
  /** What the user wrote; absent when the payload holds no text (an event refused before it was a message). */
  text?: string;
  /** The kinds of what the message held besides text (`voice`, `order`). */
  held: string[];
  /** Why a worker cannot read it; absent when it can. */
  unreadable?: string;
}

/**
 * The payload for display (`threadline inbox`, the API): never throws. A payload a worker cannot read still shows
 * what text it has, with the reason it is unreadable beside it.
 */
export function viewInboxPayload(raw: unknown): InboxPayloadView {
  const read = readInboxPayload(raw);
  const fields = (read.ok ? read.message : typeof raw === 'object' && raw !== null ? raw : {}) as { text?: unknown; attachments?: unknown; unsupported?: unknown };
  const attachments = Array.isArray(fields.attachments) ? fields.attachments.map((a: { kind?: unknown } | null) => a?.kind) : [];
  return {
    ...(typeof fields.text === 'string' ? { text: fields.text } : {}),
    held: [...attachments, fields.unsupported].filter((k) => typeof k === 'string'),
    ...(read.ok ? {} : { unreadable: read.reason }),
  };
}

/**
 * Why no worker can read an entry's payload, or undefined when one can. Entries refused on arrival are never read
 * (an event refused before it became a message has no message payload at all): nothing to say about them.
 */
export function unreadablePayload(entry: Pick<InboxRecord, 'status' | 'payload'>): string | undefined {
  return entry.status === 'refused' ? undefined : viewInboxPayload(entry.payload).unreadable;
}
