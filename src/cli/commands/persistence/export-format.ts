/**
 * The JSON Lines format of `persistence export` / `import`. Line 1 is the header; then, per session, a `session`
 * record followed by its messages in `seq` order:
 *
 *   {"format":"threadline-export","version":1}
 *   {"type":"session","id":"s-…","createdAt":"…","metadata":{…},"runtimeState":{…}|null}
 *   {"type":"message","sessionId":"s-…","seq":1,"turn":1,"role":"user","content":"…","createdAt":"…", …}
 *
 * Message records carry `name`, `toolCalls`, `toolCallId` and `metadata` when the message has them.
 *
 * Media the messages refer to (`metadata.media[].hash`: images, voice messages, files users sent) follow their
 * session's messages, each once per export, its bytes in base64:
 *
 *   {"type":"media","hash":"<sha256 hex>","mimeType":"image/png","size":1234,"createdAt":"…","base64":"iVBORw0…"}
 *
 * An import checks each one's SHA-256 against its bytes and stores it (media already there are kept as they are).
 */
import { createHash } from 'node:crypto';
import type { NewMessage, Role, RuntimeState, SessionInfo, SessionMetadata, StoredMedia, StoredMessage, ToolCall } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';

export const EXPORT_FORMAT = 'threadline-export';
export const EXPORT_VERSION = 1;

export interface ExportedSession {
  id: string;
  createdAt: string;
  metadata: SessionMetadata;
  runtimeState: RuntimeState | null;
  messages: ExportedMessage[];
}

export interface ExportedMessage extends Omit<NewMessage, 'createdAt'> {
  seq: number;
  turn: number;
  createdAt?: string;
}

export function headerLine(): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION });
}

export function sessionLine(session: SessionInfo, runtimeState: RuntimeState | null): string {
  return JSON.stringify({ type: 'session', id: session.id, createdAt: session.createdAt.toISOString(), metadata: session.metadata, runtimeState });
}

export function messageLine(message: StoredMessage): string {
  const { sessionId, seq, turn, role, content, name, toolCalls, toolCallId, metadata, createdAt } = message;
  return JSON.stringify({ type: 'message', sessionId, seq, turn, role, content, name, toolCalls, toolCallId, metadata, createdAt: createdAt.toISOString() });
}

export function mediaLine(media: StoredMedia): string {
  return JSON.stringify({ type: 'media', hash: media.hash, mimeType: media.mimeType, size: media.size, createdAt: media.createdAt.toISOString(), base64: media.bytes.toString('base64') });
}

/** The media digests a message refers to (`metadata.media[].hash`). */
export function mediaHashesOf(message: { metadata?: Record<string, unknown> }): string[] {
  const media = message.metadata?.media;
  if (!Array.isArray(media)) return [];
  return media.map((m: unknown) => (m as { hash?: unknown } | null)?.hash).filter((h): h is string => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
}

export interface ExportedMedia {
  hash: string;
  mimeType: string;
  bytes: Buffer;
}

const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool'];

/**
 * Parses and checks a whole export before anything is imported: any problem is reported with its line number,
 * so a broken file imports nothing.
 */
export function parseExport(text: string, source: string): ExportedSession[] {
  return parseExportWithMedia(text, source).sessions;
}

/** `parseExport`, with the media records (each checked against its digest). */
export function parseExportWithMedia(text: string, source: string): { sessions: ExportedSession[]; media: ExportedMedia[] } {
  const sessions = new Map<string, ExportedSession>();
  const media = new Map<string, ExportedMedia>();
  let headerSeen = false;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const fail = (problem: string): never => {
      throw new CliError(`${source} line ${index + 1}: ${problem}; nothing was imported`, 2);
    };
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return fail('not valid JSON (the file may be truncated or edited by hand)');
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return fail('expected a JSON object');
    if (!headerSeen) {
      if (record.format !== EXPORT_FORMAT) return fail(`not a Threadline export (the first line must be {"format":"${EXPORT_FORMAT}",…})`);
      if (record.version !== EXPORT_VERSION) return fail(`export version ${String(record.version)} is not supported (this version reads ${EXPORT_VERSION})`);
      headerSeen = true;
      return;
    }
    if (record.type === 'session') {
      if (typeof record.id !== 'string' || record.id === '') return fail('a session record needs a string "id"');
      if (sessions.has(record.id)) return fail(`session ${JSON.stringify(record.id)} appears twice`);
      if (!isObjectOrAbsent(record.metadata)) return fail('"metadata" must be an object');
      if (!isObjectOrAbsent(record.runtimeState)) return fail('"runtimeState" must be an object or null');
      sessions.set(record.id, {
        id: record.id,
        createdAt: String(record.createdAt ?? ''),
        metadata: (record.metadata as SessionMetadata | undefined) ?? {},
        runtimeState: (record.runtimeState as RuntimeState | null | undefined) ?? null,
        messages: [],
      });
      return;
    }
    if (record.type === 'media') {
      if (typeof record.hash !== 'string' || !/^[0-9a-f]{64}$/.test(record.hash)) return fail('a media record needs "hash", a SHA-256 in lowercase hex');
      if (typeof record.mimeType !== 'string' || record.mimeType === '') return fail('a media record needs a string "mimeType"');
      if (typeof record.base64 !== 'string') return fail('a media record needs its bytes as "base64"');
      const bytes = Buffer.from(record.base64, 'base64');
      if (createHash('sha256').update(bytes).digest('hex') !== record.hash) return fail(`media ${record.hash.slice(0, 12)}…: its bytes do not match its SHA-256`);
      media.set(record.hash, { hash: record.hash, mimeType: record.mimeType, bytes });
      return;
    }
    if (record.type !== 'message') return fail(`unknown record type ${JSON.stringify(record.type)} (expected "session", "message" or "media")`);
    const session = typeof record.sessionId === 'string' ? sessions.get(record.sessionId) : undefined;
    if (!session) return fail(`message of session ${JSON.stringify(record.sessionId)} comes before that session's record`);
    const expectedSeq = session.messages.length + 1;
    if (record.seq !== expectedSeq) return fail(`expected message seq ${expectedSeq} of session ${JSON.stringify(session.id)}, found ${JSON.stringify(record.seq)}`);
    const previousTurn = session.messages.at(-1)?.turn ?? 0;
    if (!Number.isInteger(record.turn) || (record.turn as number) < previousTurn) return fail('"turn" must be an integer that never decreases');
    if (!ROLES.includes(record.role as Role)) return fail(`"role" must be one of ${ROLES.join(', ')}`);
    if (record.content !== null && typeof record.content !== 'string') return fail('"content" must be a string or null');
    if (record.role === 'tool' && typeof record.toolCallId !== 'string') return fail('a tool message needs "toolCallId"');
    if (record.toolCalls !== undefined && !isToolCallList(record.toolCalls)) return fail('"toolCalls" must be a list of {id, type:"function", function:{name, arguments}}');
    if (!isObjectOrAbsent(record.metadata)) return fail('"metadata" must be an object');
    if (record.createdAt !== undefined && (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt)))) {
      return fail('"createdAt" must be an ISO 8601 date');
    }
    session.messages.push({
      seq: record.seq as number,
      turn: record.turn as number,
      role: record.role as Role,
      content: record.content as string | null,
      ...(typeof record.name === 'string' ? { name: record.name } : {}),
      ...(record.toolCalls ? { toolCalls: record.toolCalls as ToolCall[] } : {}),
      ...(typeof record.toolCallId === 'string' ? { toolCallId: record.toolCallId } : {}),
      ...(record.metadata ? { metadata: record.metadata as Record<string, unknown> } : {}),
      ...(typeof record.createdAt === 'string' ? { createdAt: record.createdAt } : {}),
    });
  });
  if (!headerSeen) throw new CliError(`${source} is empty: expected a Threadline export (JSON Lines)`, 2);
  return { sessions: [...sessions.values()], media: [...media.values()] };
}

function isObjectOrAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));
}

function isToolCallList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (call) =>
        call && typeof call.id === 'string' && call.type === 'function' && typeof call.function?.name === 'string' && typeof call.function?.arguments === 'string',
    )
  );
}
