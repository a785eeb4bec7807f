/*
 * Files users send, as text for the model: text-like files (by MIME type or extension) inlined up to a character
 * limit, PDFs through pdfjs-dist up to a page limit; any other type is refused with a reply naming it.
 */
import type { Attachment } from './message-content.js';
import { storableText } from './storable-input.js';

/** Most characters of a file inlined into the turn (the rest is cut, and the model told so). */
export const DEFAULT_MAX_DOCUMENT_CHARS = 20_000;
/** Most pages of a PDF read. */
export const DEFAULT_MAX_PDF_PAGES = 20;

const TEXT_EXTENSIONS = new Set(
  (
    'txt text md markdown csv tsv json jsonl ndjson yaml yml xml html htm log ini toml cfg conf env properties tex rst org ' +
    'js mjs cjs ts tsx jsx py rb go rs java kt kts c h cpp hpp cc cs php sh bash zsh fish ps1 sql swift scala lua pl r ' +
    'css scss sass less vue svelte dart ex exs erl hs ml clj gradle makefile dockerfile diff patch srt vtt'
  ).split(' '),
);
const TEXT_MIME = /^(text\/|application\/(json|x-ndjson|xml|x-yaml|yaml|toml|javascript|x-javascript|typescript|x-sh|x-python|sql|x-tex|csv)\b)|\+(json|xml)$/;

export type DocumentKind = 'text' | 'pdf';

function extensionOf(fileName: string | undefined): string | undefined {
  if (!fileName) return undefined;
  const lower = fileName.toLowerCase();
  const dot = lower.lastIndexOf('.');
  return dot === -1 ? lower : lower.slice(dot + 1);
}

/** How the bot reads this file, or undefined when it cannot (an archive, an office document, a binary). */
export function documentKind(attachment: { mimeType?: string; fileName?: string }): DocumentKind | undefined {
  const mime = attachment.mimeType?.split(';')[0].trim().toLowerCase();
  const ext = extensionOf(attachment.fileName);
  if (mime === 'application/pdf' || ext === 'pdf') return 'pdf';
  if ((mime && TEXT_MIME.test(mime)) || (ext && TEXT_EXTENSIONS.has(ext))) return 'text';
  return undefined;
}

/** `a PDF`, `a .zip file`, `an application/zip file`: what a refusal calls the file. */
export function documentTypeName(attachment: Attachment): string {
  const ext = extensionOf(attachment.fileName);
  if (ext && ext !== attachment.fileName?.toLowerCase()) return `.${ext} files`;
  if (attachment.mimeType) return `${attachment.mimeType} files`;
  return 'files of this type';
}

export const DOCUMENT_TYPES_HELP = 'I can read text files (txt, md, csv, json, source code) and PDFs.';

export interface DocumentLimits {
  maxChars: number;
  maxPdfPages: number;
}

/** A file's text, cut to the limits (with a note saying so); throws `UnreadableDocument` with what the user is told. */
export async function documentText(bytes: Buffer, kind: DocumentKind, limits: DocumentLimits): Promise<string> {
  let text: string;
  let note = '';
  if (kind === 'pdf') {
    const read = await pdfText(bytes, limits.maxPdfPages);
    text = read.text;
    if (read.pages > limits.maxPdfPages) note = `[only the first ${limits.maxPdfPages} of ${read.pages} pages were read]`;
    if (text.trim() === '') throw new UnreadableDocument('the PDF has no text', 'Sorry, I found no text in that PDF (scanned pages are pictures I cannot read).');
  } else {
    if (bytes.includes(0)) throw new UnreadableDocument('the file holds NUL bytes: not text', `Sorry, that file does not look like text. ${DOCUMENT_TYPES_HELP}`);
    text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  }
  text = storableText(text);
  if (text.length > limits.maxChars) {
    note = `[cut at ${limits.maxChars} of ${text.length} characters]`;
    text = text.slice(0, limits.maxChars);
  }
  return note ? `${text}\n${note}` : text;
}

export class UnreadableDocument extends Error {
  constructor(
    message: string,
    readonly reply: string,
  ) {
    super(message);
  }
}

async function pdfText(bytes: Buffer, maxPages: number): Promise<{ text: string; pages: number }> {
  // The legacy build runs in Node 20 (the modern one needs newer JavaScript); loaded only when a PDF arrives.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let doc;
  try {
    doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  } catch (error) {
    throw new UnreadableDocument(`pdfjs could not open the PDF: ${(error as Error).message}`, 'Sorry, I could not open that PDF (it may be damaged or password-protected).');
  }
  try {
    const pages: string[] = [];
    for (let n = 1; n <= Math.min(doc.numPages, maxPages); n++) {
      const content = await (await doc.getPage(n)).getTextContent();
      pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('').trim());
    }
    return { text: pages.filter(Boolean).join('\n\n'), pages: doc.numPages };
  } finally {
    await doc.destroy();
  }
}
