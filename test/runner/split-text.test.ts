import { describe, expect, it } from 'vitest';
import { splitText } from '../../src/runner/split-text.js';

const FENCE_LINE = /^ {0,3}(?:`{3,}|~{3,}).*$/gm;

/** What a reader sees of the text, ignoring whitespace and fence lines (the only things a split may drop or add). */
function visibleContent(text: string): string {
  return text.replace(FENCE_LINE, '').replace(/\s+/g, '');
}

/**
 * Checks what every split must guarantee. Content is compared without whitespace; fence lines are ignored when
 * the split re-fenced a block, and compared too when it did not (a limit too small for fences cuts them as text).
 */
function expectValidChunks(text: string, limit: number): string[] {
  const chunks = splitText(text, limit);
  // Plain checks first and one assertion after: thousands of expect() calls per input would make this slow.
  const problem = (chunk: string) =>
    (chunk.trim() === '' && 'blank') ||
    (chunk.length > limit && `longer than ${limit}`) ||
    (/^[\uDC00-\uDFFF]/.test(chunk) && 'starts inside a surrogate pair') ||
    (/[\uD800-\uDBFF]$/.test(chunk) && 'ends inside a surrogate pair');
  expect(chunks.filter(problem).map((chunk) => `${problem(chunk)}: ${JSON.stringify(chunk)}`)).toEqual([]);
  const joined = chunks.join('\n');
  if (joined.replace(/\s+/g, '') !== text.replace(/\s+/g, '')) expect(visibleContent(joined)).toBe(visibleContent(text));
  return chunks;
}

describe('splitText basics', () => {
  it('returns a text that fits unchanged, and nothing for a blank text', () => {
    expect(splitText('  hello\n\nworld ', 100)).toEqual(['  hello\n\nworld ']);
    expect(splitText('', 10)).toEqual([]);
    expect(splitText(' \n\n \t', 10)).toEqual([]);
  });

  it('rejects a limit that cannot hold a surrogate pair', () => {
    expect(() => splitText('abc', 1)).toThrow(RangeError);
    expect(() => splitText('abc', 2.5)).toThrow(/integer of at least 2/);
  });

  it('measures in UTF-16 code units', () => {
    expect(splitText('😀😀', 4)).toEqual(['😀😀']);
    expect(splitText('😀😀', 3)).toEqual(['😀', '😀']);
  });
});

describe('splitText boundaries, coarsest first', () => {
  it('cuts between paragraphs rather than filling a chunk with part of the next paragraph', () => {
    expect(splitText('short\n\nline one\nline two', 17)).toEqual(['short', 'line one\nline two']);
  });

  it('packs several paragraphs into one chunk and keeps their blank lines', () => {
    expect(splitText('one\n\ntwo\n\nthree four five', 12)).toEqual(['one\n\ntwo', 'three four five'.slice(0, 10), 'five']);
  });

  it('cuts between lines when a paragraph is too long', () => {
    expect(splitText('first line here\nsecond line here\nthird', 34)).toEqual(['first line here\nsecond line here', 'third']);
  });

  it('cuts between sentences when a line is too long', () => {
    expect(splitText('One two three. Four five six? Seven!', 20)).toEqual(['One two three.', 'Four five six?', 'Seven!']);
    expect(splitText('He said "stop." Then left.', 16)).toEqual(['He said "stop."', 'Then left.']);
  });

  it('cuts after CJK sentence ends, which carry no space', () => {
    expect(splitText('这是第一句。这是第二句。', 7)).toEqual(['这是第一句。', '这是第二句。']);
  });

  it('cuts between words when a sentence is too long', () => {
    expect(splitText('alpha beta gamma delta', 11)).toEqual(['alpha beta', 'gamma delta']);
  });

  it('cuts inside a word only when the word alone is too long', () => {
    expect(splitText('ab abcdefghij', 4)).toEqual(['ab', 'abcd', 'efgh', 'ij']);
  });

  it('drops the whitespace at each cut', () => {
    const chunks = splitText('aaaa   \n\n\n   bbbb', 8);
    expect(chunks).toEqual(['aaaa', '   bbbb']);
  });
});

describe('splitText with emoji', () => {
  it('never separates a surrogate pair', () => {
    expect(splitText('😀😀😀', 3)).toEqual(['😀', '😀', '😀']);
    expect(splitText('a😀b', 2)).toEqual(['a', '😀', 'b']);
  });

  it('keeps a grapheme (family emoji, flag) whole when it fits', () => {
    const family = '👨‍👩‍👧'; // 8 code units
    expect(splitText(family + family, 10)).toEqual([family, family]);
    expect(splitText('🇫🇷🇫🇷🇫🇷', 5)).toEqual(['🇫🇷', '🇫🇷', '🇫🇷']);
  });

  it('cuts a grapheme longer than the limit between code points', () => {
    expect(splitText('👨‍👩‍👧', 3)).toEqual(['👨\u200d', '👩\u200d', '👧']);
  });
});

describe('splitText with fenced code blocks', () => {
  const code = '```ts\nconst a = 1;\n\nconst b = 2;\n```';

  it('moves a code block that fits to a chunk of its own rather than cutting inside it', () => {
    const text = `Look at this code:\n${code}\nNeat, right?`;
    expect(splitText(text, code.length + 5)).toEqual(['Look at this code:', code, 'Neat, right?']);
  });

  it('does not treat blank lines inside a code block as paragraph breaks', () => {
    const text = `intro\n\n${code}\n\noutro`;
    expect(splitText(text, code.length)).toEqual(['intro', code, 'outro']);
  });

  it('keeps prose and a code block together when they fit', () => {
    expect(splitText(`intro\n\n${code}\n\nmore text that does not fit`, code.length + 7)).toEqual([`intro\n\n${code}`, 'more text that does not fit']);
  });

  it('re-fences an over-long code block at line bounds, keeping the language tag', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}: ${'x'.repeat(i % 7)}`);
    const text = `Here:\n\n\`\`\`python\n${lines.join('\n')}\n\`\`\`\n\nDone.`;
    const chunks = expectValidChunks(text, 120);
    const codeChunks = chunks.filter((chunk) => chunk.includes('line '));
    expect(codeChunks.length).toBeGreaterThan(1);
    const bodies = codeChunks.map((chunk) => {
      // Prose may share a chunk with the first or last piece of the block, never split a fence pair.
      expect(chunk.match(FENCE_LINE)).toEqual(['```python', '```']);
      return /```python\n([\s\S]*)\n```/.exec(chunk)![1];
    });
    expect(bodies.join('\n')).toBe(lines.join('\n'));
    expect(chunks.join('\n')).toMatch(/^Here:[\s\S]*Done\.$/);
  });

  it('hard-cuts a code line longer than a chunk, still inside fences', () => {
    const chunks = expectValidChunks(`\`\`\`\n${'y'.repeat(50)}\n\`\`\``, 20);
    for (const chunk of chunks) expect(chunk).toMatch(/^```\ny+\n```$/);
    expect(chunks.map((chunk) => chunk.slice(4, -4)).join('')).toBe('y'.repeat(50));
  });

  it('leaves an unclosed code block unclosed in its last chunk only', () => {
    const chunks = splitText('```sh\necho one\necho two\necho three', 22);
    expect(chunks).toEqual(['```sh\necho one\n```', '```sh\necho two\n```', '```sh\necho three']);
  });

  it('follows CommonMark fences: a longer or tilde fence is not closed by a shorter or different one', () => {
    const text = '````md\n```\nnot a close\n```\n````';
    expect(splitText(`${text}\n\nafter`, text.length)).toEqual([text, 'after']);
    const tilde = '~~~\n```\ninside\n~~~';
    expect(splitText(`${tilde}\nafter`, tilde.length)).toEqual([tilde, 'after']);
  });

  it('still respects the limit when it is too small for the fences', () => {
    expectValidChunks('```typescript\nconst x = 1;\n```', 8);
  });

  it('is not fooled by inline triple backticks', () => {
    expect(splitText('use ```inline``` here\n\nnext', 21)).toEqual(['use ```inline``` here', 'next']);
  });
});

describe('splitText properties over generated inputs', () => {
  /** Deterministic PRNG (mulberry32) so a failing case can be reproduced from its seed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const EMOJI = ['😀', '👍🏽', '🇯🇵', '👨‍👩‍👧‍👦', '❤️', '🧑‍💻', 'é', 'ß', '中文', '𝔘𝔫𝔦'];

  function generateText(next: () => number): string {
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
    const word = () => {
      const roll = next();
      if (roll < 0.1) return pick(EMOJI);
      if (roll < 0.13) return 'z'.repeat(20 + Math.floor(next() * 200)); // longer than small limits
      if (roll < 0.15) return pick(EMOJI).repeat(5 + Math.floor(next() * 40));
      return 'abcdefghijklmnopqrstuvwxyz'.slice(0, 1 + Math.floor(next() * 10));
    };
    const sentence = () => Array.from({ length: 1 + Math.floor(next() * 15) }, word).join(pick([' ', ' ', '  ', '\t'])) + pick(['.', '!', '?', '。', '']);
    const paragraph = () => Array.from({ length: 1 + Math.floor(next() * 4) }, sentence).join(pick([' ', '\n']));
    const codeBlock = (mayStayOpen: boolean) => {
      const lines = Array.from({ length: 1 + Math.floor(next() * 30) }, () => (next() < 0.15 ? '' : '  ' + sentence()));
      const opening = pick(['```', '```js', '~~~python', '````']);
      // A block may run to the end of the text unclosed, as CommonMark allows.
      const closing = mayStayOpen && next() < 0.3 ? '' : `\n${opening.replace(/[a-z]+$/, '')}`;
      return `${opening}\n${lines.join('\n')}${closing}`;
    };
    const count = 1 + Math.floor(next() * 12);
    const blocks = Array.from({ length: count }, (_, i) => (next() < 0.25 ? codeBlock(i === count - 1) : paragraph()));
    return blocks.join(pick(['\n\n', '\n', '\n\n\n', ' \n \n']));
  }

  it('keeps every chunk within the limit, non-blank, surrogate-safe, and loses no content', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const text = generateText(next);
      for (const limit of [2, 7, 33, 160, 2000]) {
        try {
          expectValidChunks(text, limit);
        } catch (err) {
          throw new Error(`seed ${seed}, limit ${limit}: ${(err as Error).message}`);
        }
      }
    }
  });

  it('gives every chunk balanced fences when the limit leaves room for them', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = generateText(random(seed));
      const allClosed = (text.match(FENCE_LINE) ?? []).length % 2 === 0;
      if (!allClosed) continue;
      for (const limit of [60, 500]) {
        for (const chunk of splitText(text, limit)) {
          const fences = chunk.match(FENCE_LINE) ?? [];
          expect(fences.length % 2, `seed ${seed}, limit ${limit}: ${JSON.stringify(chunk)}`).toBe(0);
        }
      }
    }
  });

  it('keeps all text within a platform limit in few chunks', () => {
    const text = generateText(random(42)).repeat(30);
    const chunks = expectValidChunks(text, 4096);
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(text.length / 4096) * 2);
  });
});
