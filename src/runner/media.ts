/*
 * Media in a turn: the worker (never the webhook handler, whose intake must stay fast) fetches an entry's usable
 * attachments through the adapter's `fetchAttachment`, keeps their bytes in the store by SHA-256 and links them to
 * the entry before the model is asked, so a retry after a crash reads them from the store instead of the
 * platform's URL (which may have expired). The model gets images as image parts (a vision model), the committed user
 * message a textual description and `metadata.media` (digests: the bytes stay in the store's media table).
 */
import { createHash } from 'node:crypto';
import type { ChatImage } from '../core/llm/chat-model.js';
import type { Transcriber } from '../core/llm/transcriber.js';
import type { Logger } from '../log.js';
import { ThreadlineError } from '../store/errors.js';
import type { InboxEntry, MediaStore, NewMessage } from '../store/types.js';
import { DEFAULT_MAX_DOCUMENT_CHARS, DEFAULT_MAX_PDF_PAGES, documentKind, documentText, UnreadableDocument } from './documents.js';
import { modelText, usableAttachment, type Attachment, type MediaAbilities } from './message-content.js';
import type { InboundMessage, PlatformAdapter } from './platform-adapter.js';

/** The Bot API's own limit on downloads: Telegram serves no bigger file to a bot. */
export const DEFAULT_MAX_MEDIA_BYTES = 20 * 1024 * 1024;

export interface MediaOptions {
  /** Largest attachment downloaded, in bytes (default 20 MB): a bigger one gets a plain reply naming the limit. */
  maxBytes?: number;
  /** The model sees images (default false): images go to it as content parts; otherwise the sender is told it cannot. */
  vision?: boolean;
  /** Voice messages and audio files become the turn's text through it (default none: the sender is told). */
  transcriber?: Transcriber;
  /** Most characters of a file inlined as text (default 20 000). */
  maxDocumentChars?: number;
  /** Most pages of a PDF read (default 20). */
  maxPdfPages?: number;
}

/** An attachment as the turn uses it: its bytes, from the store. */
export interface FetchedMedia {
  position: number;
  attachment: Attachment;
  hash: string;
  mimeType: string;
  size: number;
  bytes: Buffer;
}

/** What the committed user message records of each attachment it used (`metadata.media`). */
export interface MediaRef {
  kind: Attachment['kind'];
  hash: string;
  mimeType: string;
  size: number;
  fileName?: string;
  /** The message's text holds this attachment's transcript. */
  transcript?: true;
}

/** A message the bot will not answer for what it carries, with the one reply its sender gets (a file over the limit). */
export class MediaRefusal extends ThreadlineError {
  constructor(
    message: string,
    /** What the sender is told. */
    readonly reply: string,
  ) {
    super(message);
  }
}

/** Thrown by `fetchAttachment` when the bytes exceed `maxBytes` (the download stops there). */
export class MediaTooLargeError extends ThreadlineError {
  constructor(
    readonly limit: number,
    readonly size?: number,
  ) {
    super(`the file is larger than the ${formatBytes(limit)} limit${size !== undefined ? ` (${formatBytes(size)})` : ''}`);
  }
}

/** `20 MB`, `1.5 MB`, `340 KB`, `12 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${round(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const round = (n: number) => String(Math.round(n * 10) / 10);

export function tooLargeReply(limit: number, size?: number): string {
  return `Sorry, that file is too large${size !== undefined ? ` (${formatBytes(size)})` : ''}: I can take files up to ${formatBytes(limit)}.`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The turn's input: one user message per entry, and the images each one shows the model. */
export interface PreparedInput {
  input: NewMessage[];
  images: Array<ChatImage[] | undefined>;
}

export class MediaResolver {
  readonly maxBytes: number;
  readonly abilities: MediaAbilities;

  constructor(
    private readonly store: MediaStore,
    private readonly adapter: PlatformAdapter,
    private readonly options: MediaOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_MEDIA_BYTES;
    this.abilities = {
      fetch: typeof adapter.fetchAttachment === 'function',
      vision: options.vision === true,
      transcription: options.transcriber !== undefined,
      documents: true,
    };
  }

  /** A usable attachment the platform says is over the limit: refused at intake, before any download. */
  oversized(message: InboundMessage): Attachment | undefined {
    return (message.attachments ?? []).find((a) => usableAttachment(a, this.abilities) && a.size !== undefined && a.size > this.maxBytes);
  }

  /** Every entry's usable attachments fetched (or read back from the store), then the model's input built from them. */
  async prepare(batch: InboxEntry<InboundMessage>[], log: Logger): Promise<PreparedInput> {
    const input: NewMessage[] = [];
    const images: Array<ChatImage[] | undefined> = [];
    for (const entry of batch) {
      const message = entry.payload;
      const media = await this.fetchAll(entry, log);
      const shown = media.filter((m) => m.attachment.kind === 'image');
      const lines: string[] = [];
      const transcripts: string[] = [];
      const refs: MediaRef[] = [];
      for (const m of media) {
        const ref: MediaRef = {
          kind: m.attachment.kind,
          hash: m.hash,
          mimeType: m.mimeType,
          size: m.size,
          ...(m.attachment.fileName !== undefined ? { fileName: m.attachment.fileName } : {}),
        };
        if (m.attachment.kind === 'voice' || m.attachment.kind === 'audio') {
          transcripts.push(await this.transcribe(m, log));
          ref.transcript = true;
        } else if (m.attachment.kind === 'document') {
          lines.push(describe(m), await this.readDocument(m));
        } else lines.push(describe(m));
        refs.push(ref);
      }
      const text = modelText(message, new Set(media.map((m) => m.position)));
      const metadata = { ...(refs.length ? { media: refs } : {}), ...(transcripts.length ? { transcript: true } : {}) };
      input.push({
        role: 'user',
        // A voice message's transcript is the turn's text (after the caption an audio file may have).
        content: [...lines, text, ...transcripts].filter((line) => line !== '').join('\n'),
        ...(message.isPrivate ? {} : { name: message.userName ?? message.userId }),
        ...(refs.length ? { metadata } : {}),
      });
      images.push(shown.length ? shown.map((m) => ({ mimeType: m.mimeType, base64: m.bytes.toString('base64') })) : undefined);
    }
    return { input, images };
  }

  private async readDocument(media: FetchedMedia): Promise<string> {
    const kind = documentKind({ mimeType: media.attachment.mimeType ?? media.mimeType, fileName: media.attachment.fileName }) ?? documentKind({ mimeType: media.mimeType });
    if (!kind) throw new MediaRefusal('the file is not of a readable type', 'Sorry, I can\'t read files of this type. I can read text files (txt, md, csv, json, source code) and PDFs.');
    try {
      return await documentText(media.bytes, kind, {
        maxChars: this.options.maxDocumentChars ?? DEFAULT_MAX_DOCUMENT_CHARS,
        maxPdfPages: this.options.maxPdfPages ?? DEFAULT_MAX_PDF_PAGES,
      });
    } catch (error) {
      if (error instanceof UnreadableDocument) throw new MediaRefusal(error.message, error.reply);
      throw error;
    }
  }

  private async transcribe(media: FetchedMedia, log: Logger): Promise<string> {
    const transcriber = this.options.transcriber!;
    const fileName = media.attachment.fileName ?? `${media.attachment.kind}.${extensionFor(media.mimeType)}`;
    const text = (await transcriber.transcribe({ bytes: media.bytes, fileName, mimeType: media.mimeType })).trim();
    log.info({ position: media.position, model: transcriber.model, chars: text.length }, 'transcribed');
    if (text === '') throw new MediaRefusal('the transcription is empty', `Sorry, I could not make out any words in that ${media.attachment.kind === 'voice' ? 'voice message' : 'audio file'}. Please try again or send text.`);
    return text;
  }

  private async fetchAll(entry: InboxEntry<InboundMessage>, log: Logger): Promise<FetchedMedia[]> {
    const wanted = (entry.payload.attachments ?? []).map((attachment, position) => ({ attachment, position })).filter((a) => usableAttachment(a.attachment, this.abilities));
    if (wanted.length === 0) return [];
    const links = new Map((await this.store.inboxMedia(entry.id)).map((link) => [link.position, link.hash]));
    const fetched: FetchedMedia[] = [];
    for (const { attachment, position } of wanted) {
      const hash = links.get(position);
      const stored = hash === undefined ? null : await this.store.getMedia(hash);
      if (stored) {
        log.debug({ position, hash, size: stored.size }, 'media read from the store (stored by an earlier attempt)');
        fetched.push({ position, attachment, hash: stored.hash, mimeType: stored.mimeType, size: stored.size, bytes: stored.bytes });
        continue;
      }
      fetched.push(await this.download(entry, attachment, position, log));
    }
    return fetched;
  }

  private async download(entry: InboxEntry<InboundMessage>, attachment: Attachment, position: number, log: Logger): Promise<FetchedMedia> {
    let result: { bytes: Buffer; mimeType?: string };
    try {
      result = await this.adapter.fetchAttachment!(attachment, { maxBytes: this.maxBytes });
    } catch (error) {
      if (error instanceof MediaTooLargeError) throw new MediaRefusal(`attachment ${position}: ${error.message}`, tooLargeReply(error.limit, error.size));
      throw error;
    }
    if (result.bytes.length > this.maxBytes) {
      throw new MediaRefusal(`attachment ${position} is ${result.bytes.length} bytes, over the ${this.maxBytes} limit`, tooLargeReply(this.maxBytes, result.bytes.length));
    }
    const hash = sha256Hex(result.bytes);
    const mimeType = pickMimeType(result.mimeType, attachment.mimeType);
    await this.store.putMedia({ hash, mimeType, bytes: result.bytes });
    await this.store.linkInboxMedia(entry.id, position, hash);
    log.info({ position, kind: attachment.kind, hash, size: result.bytes.length, mimeType }, 'media downloaded and stored');
    return { position, attachment, hash, mimeType, size: result.bytes.length, bytes: result.bytes };
  }
}

/** The platform's download header when it says something specific, else what the message said. */
function pickMimeType(downloaded: string | undefined, declared: string | undefined): string {
  const clean = downloaded?.split(';')[0].trim().toLowerCase();
  if (clean && clean !== 'application/octet-stream') return clean;
  return declared ?? clean ?? 'application/octet-stream';
}

/** What the transcription endpoint recognises the format by: the file name's extension. */
function extensionFor(mimeType: string): string {
  const known: Record<string, string> = { 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/webm': 'webm', 'audio/flac': 'flac' };
  return known[mimeType] ?? 'ogg';
}

/** `[image image/png 1234 bytes]`: the textual form of a fetched attachment, kept in the history. */
function describe(media: FetchedMedia): string {
  const name = media.attachment.fileName ? ` "${media.attachment.fileName}"` : '';
  return `[${media.attachment.kind}${name} ${media.mimeType} ${media.size} bytes]`;
}
