/**
 * Splits a reply into chunks that each fit a platform's message limit (Telegram 4096, Discord 2000, WhatsApp 4096,
 * Slack ~3000), measured in UTF-16 code units because that is what those limits count and what `string.length` is.
 *
 * Readers should not notice the cuts, so a cut goes at the coarsest boundary that works: between paragraphs, then
 * lines, then sentences, then words, and only as a last resort inside a word (never inside a surrogate pair, and
 * preferably not inside a grapheme such as a flag or a family emoji). Fenced code blocks are kept whole when they fit
 * in a chunk; a block longer than a chunk is cut at its lines and re-fenced on both sides of the cut, so every chunk
 * still renders as valid Markdown.
 *
 * The whitespace at a cut is dropped (it would only show up as stray blank space at a message edge), and blank
 * chunks are never produced, since platforms reject empty messages.
 */
export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 2) {
    // Below 2 a surrogate pair (any emoji) could not be placed without being split.
    throw new RangeError(`splitText: limit must be an integer of at least 2, got ${limit}`);
  }
  if (text.trim() === '') return [];
  if (text.length <= limit) return [text];
  const parts = splitIntoBlocks(text).map((block) => ({
    separatorBefore: block.separatorBefore,
    chunks: block.code ? splitCodeBlock(block.code, limit) : splitProse(block.text, limit),
  }));
  return packParts(parts, limit).filter((chunk) => chunk.trim() !== '');
}

/** A piece of text to pack, already cut into chunks that each fit, with the text that separated it from the previous piece. */
interface Part {
  separatorBefore: string;
  chunks: string[];
}

/**
 * Greedily fills chunks up to the limit. Only the first chunk of a part may join the chunk before it (through the
 * part's separator): the later chunks of a part were cut because they did not fit together, so they stay apart.
 */
function packParts(parts: Part[], limit: number): string[] {
  const packed: string[] = [];
  let current: string | undefined;
  for (const { separatorBefore, chunks } of parts) {
    chunks.forEach((chunk, index) => {
      const joinable = index === 0 && current !== undefined;
      if (joinable && current!.length + separatorBefore.length + chunk.length <= limit) {
        current += separatorBefore + chunk;
      } else {
        if (current !== undefined) packed.push(current);
        current = chunk;
      }
    });
  }
  if (current !== undefined) packed.push(current);
  return packed;
}

interface Piece {
  text: string;
  separatorBefore: string;
}

/**
 * Cuts `text` at every match of `separator` (a global regex), keeping each separator with the piece after it so
 * packing can put it back. Empty pieces are folded into the next separator; zero-width separators are allowed
 * (CJK sentences end without a space).
 */
function splitAtSeparators(text: string, separator: RegExp): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let pendingSeparator = '';
  const push = (end: number, separatorAfter: string) => {
    const piece = text.slice(start, end);
    if (piece === '') pendingSeparator += separatorAfter;
    else {
      pieces.push({ text: piece, separatorBefore: pendingSeparator });
      pendingSeparator = separatorAfter;
    }
  };
  for (const match of text.matchAll(separator)) {
    if (match[0] === '' && (match.index === 0 || match.index === text.length)) continue;
    push(match.index, match[0]);
    start = match.index + match[0].length;
  }
  push(text.length, '');
  return pieces;
}

// Each level is tried only on a piece the previous level could not bring under the limit.
// `[^\S\n]` is whitespace other than a newline, so `\r` and non-breaking spaces are handled too.
const PROSE_LEVELS: RegExp[] = [
  /[^\S\n]*\n/g, // line breaks (paragraph breaks were handled with the code blocks)
  /(?<=[.!?…][)\]"'”’»]*)[^\S\n]+|(?<=[。！？][)\]"'”’»」』]*)[^\S\n]*/g, // sentence ends; CJK ones need no space
  /[^\S\n]+/g, // words
];

function splitProse(text: string, limit: number, level = 0): string[] {
  if (text.length <= limit) return [text];
  if (level === PROSE_LEVELS.length) return splitHard(text, limit);
  const parts = splitAtSeparators(text, PROSE_LEVELS[level]).map((piece) => ({
    separatorBefore: piece.separatorBefore,
    chunks: splitProse(piece.text, limit, level + 1),
  }));
  return packParts(parts, limit);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The last resort: cut anywhere, but between graphemes so an emoji or an accented letter stays whole. A grapheme
 * longer than the limit (long emoji sequences, stacked combining marks) is cut between code points, which still
 * never separates the two halves of a surrogate pair.
 */
function splitHard(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const atoms = Array.from(graphemes.segment(text), ({ segment }) => (segment.length <= limit ? [segment] : Array.from(segment))).flat();
  return packParts(atoms.map((atom) => ({ separatorBefore: '', chunks: [atom] })), limit);
}

interface CodeBlock {
  /** The whole block as written, fences included. */
  text: string;
  /** The opening fence line, language tag included: it is repeated to reopen the block after a cut. */
  openingLine: string;
  /** The closing fence line, or undefined when the block runs to the end of the text (allowed by CommonMark). */
  closingLine: string | undefined;
  /** The fence characters alone (e.g. ```), used to close the block before a cut. */
  fence: string;
  bodyLines: string[];
}

interface Block {
  text: string;
  separatorBefore: string;
  code?: CodeBlock;
}

/**
 * Cuts the text into paragraphs and fenced code blocks. Blank lines inside a code block are not paragraph breaks,
 * and a code block is its own block even when no blank line surrounds it, so it can move to a chunk of its own.
 */
function splitIntoBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let separatorBefore = '';
  let prose: string[] = [];
  const flushProse = (separatorAfter: string) => {
    const proseText = prose.join('\n');
    prose = [];
    if (proseText.trim() === '') {
      separatorBefore += proseText + separatorAfter;
      return;
    }
    // Blank lines next to a code block separate it from the prose; they are not part of a paragraph.
    const [, leading, body, trailing] = /^((?:[^\S\n]*\n)*)([\s\S]*?)((?:\n[^\S\n]*)*)$/.exec(proseText)!;
    splitAtSeparators(body, PARAGRAPH_BREAK).forEach((paragraph, index) => {
      const before = index === 0 ? separatorBefore + leading + paragraph.separatorBefore : paragraph.separatorBefore;
      blocks.push({ text: paragraph.text, separatorBefore: before });
    });
    separatorBefore = trailing + separatorAfter;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const code = readCodeBlock(lines, i);
    if (!code) {
      prose.push(lines[i]);
      continue;
    }
    if (prose.length > 0) flushProse('\n');
    blocks.push({ text: code.block.text, separatorBefore, code: code.block });
    separatorBefore = '\n';
    i = code.lastLine;
  }
  if (prose.length > 0) flushProse('');
  return blocks;
}

const PARAGRAPH_BREAK = /[^\S\n]*\n(?:[^\S\n]*\n)+/g;
const OPENING_FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** Reads a fenced code block starting at `lines[first]`, following CommonMark's fence rules. */
function readCodeBlock(lines: string[], first: number): { block: CodeBlock; lastLine: number } | undefined {
  const opening = OPENING_FENCE.exec(lines[first]);
  if (!opening) return undefined;
  const fence = opening[1];
  if (fence[0] === '`' && opening[2].includes('`')) return undefined; // an inline code span, not a fence
  const isClosing = (line: string) => {
    const candidate = /^ {0,3}(`{3,}|~{3,})[^\S\n]*$/.exec(line);
    return candidate !== null && candidate[1][0] === fence[0] && candidate[1].length >= fence.length;
  };
  let last = first + 1;
  while (last < lines.length && !isClosing(lines[last])) last++;
  const closed = last < lines.length;
  const end = closed ? last : lines.length - 1;
  return {
    block: {
      text: lines.slice(first, end + 1).join('\n'),
      openingLine: lines[first],
      closingLine: closed ? lines[last] : undefined,
      fence,
      bodyLines: lines.slice(first + 1, closed ? last : lines.length),
    },
    lastLine: end,
  };
}

/**
 * Cuts an over-long code block at its lines, closing the fence before each cut and reopening it (same language tag)
 * after, so each chunk is a complete code block. A single line longer than a chunk is cut hard: unavoidable, and
 * still fenced on both sides.
 */
function splitCodeBlock(block: CodeBlock, limit: number): string[] {
  if (block.text.length <= limit) return [block.text];
  const closingLine = block.closingLine ?? block.fence;
  const bodyLimit = limit - (block.openingLine.length + 1) - (1 + closingLine.length);
  // With a limit this small the fences alone would not fit: splitting it as plain text is the best left to do.
  if (bodyLimit < 2) return splitProse(block.text, limit);
  const bodies = packParts(
    block.bodyLines.map((line) => ({ separatorBefore: '\n', chunks: splitHard(line, bodyLimit) })),
    bodyLimit,
  );
  return bodies.map((body, index) => {
    const isLast = index === bodies.length - 1;
    // The last chunk ends the way the original did, so an unclosed block is not closed by the split.
    const closing = isLast && block.closingLine === undefined ? '' : `\n${closingLine}`;
    return `${block.openingLine}\n${body}${closing}`;
  });
}
