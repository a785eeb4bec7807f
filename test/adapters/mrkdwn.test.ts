import { describe, expect, it } from 'vitest';
import { markdownToMrkdwn } from '../../adapters/slack/mrkdwn.js';

describe('markdownToMrkdwn', () => {
  it.each([
    ['**bold**', '*bold*'],
    ['__bold__', '*bold*'],
    ['*italic*', '_italic_'],
    ['_italic_', '_italic_'],
    ['***both***', '*_both_*'],
    ['~~gone~~', '~gone~'],
    ['a **bold** and *italic* word', 'a *bold* and _italic_ word'],
    ['**bold with *italic* inside**', '*bold with _italic_ inside*'],
    ['*a*', '_a_'],
  ])('converts emphasis: %j', (md, mrkdwn) => {
    expect(markdownToMrkdwn(md)).toBe(mrkdwn);
  });

  it('leaves lone asterisks, snake_case and arithmetic alone', () => {
    expect(markdownToMrkdwn('2 * 3 * 4 and snake_case_name')).toBe('2 * 3 * 4 and snake_case_name');
  });

  it('turns links and images into <url|text>', () => {
    expect(markdownToMrkdwn('see [the docs](https://example.com/a?b=1&c=2)')).toBe('see <https://example.com/a?b=1&amp;c=2|the docs>');
    expect(markdownToMrkdwn('![a chart](https://example.com/c.png "title")')).toBe('<https://example.com/c.png|a chart>');
    expect(markdownToMrkdwn('[**bold link**](https://x.test)')).toBe('<https://x.test|*bold link*>');
    expect(markdownToMrkdwn('<https://x.test/path>')).toBe('<https://x.test/path>');
  });

  it('renders headings as bold lines', () => {
    expect(markdownToMrkdwn('# Title\n## Sub **part** ##\ntext')).toBe('*Title*\n*Sub part*\ntext');
  });

  it('turns bullet items into • and keeps their nesting', () => {
    expect(markdownToMrkdwn('- one\n* two with *italic*\n  + nested\n1. numbered')).toBe('• one\n• two with _italic_\n  • nested\n1. numbered');
  });

  it('keeps block quotes as Slack quotes and replaces rules', () => {
    expect(markdownToMrkdwn('> quoted **text**\n---')).toBe('> quoted *text*\n──────────');
  });

  it('escapes &, < and > in plain text so Slack does not read them as links or mentions', () => {
    expect(markdownToMrkdwn('Tom & Jerry: a < b > c <!channel>')).toBe('Tom &amp; Jerry: a &lt; b &gt; c &lt;!channel&gt;');
  });

  it('does not reformat code spans, only escapes their entities', () => {
    expect(markdownToMrkdwn('run `**not bold** a<b` now **bold**')).toBe('run `**not bold** a&lt;b` now *bold*');
  });

  it('does not reformat fenced blocks, drops the language tag, and keeps lines verbatim', () => {
    const md = ['before *it*', '```ts', 'const x = a ** 2; // *not italic*', '# not a heading', '- not a bullet', 'if (a < b && c) {}', '```', 'after **it**'].join('\n');
    expect(markdownToMrkdwn(md)).toBe(
      ['before _it_', '```', 'const x = a ** 2; // *not italic*', '# not a heading', '- not a bullet', 'if (a &lt; b &amp;&amp; c) {}', '```', 'after *it*'].join('\n'),
    );
  });

  it('closes a fence that a streamed reply left open', () => {
    expect(markdownToMrkdwn('look:\n```\npartial **code**')).toBe('look:\n```\npartial **code**\n```');
  });

  it('needs a closing fence at least as long as the opening one', () => {
    expect(markdownToMrkdwn('````\n```\n````\n**b**')).toBe('```\n```\n```\n*b*');
  });
});
