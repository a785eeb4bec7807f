/**
 * Converts the Markdown an LLM writes into Slack's mrkdwn, which differs in the details: single `*` is bold,
 * `_` is italic, a single `~` strikes through, links are `<url|text>`, there are no headings, and `&`, `<`, `>`
 * must be sent as entities because Slack reads `<…>` as links and mentions.
 *
 * Code is never reformatted. Its `&`, `<`, `>` are still entity-escaped: Slack decodes entities inside code too
 * (it stores code typed by users the same way), so escaping is what keeps the code showing exactly as written.
 */
export function markdownToMrkdwn(md: string): string {
  const out: string[] = [];
  let openFence: string | undefined;
  for (const line of md.split('\n')) {
    if (openFence === undefined) {
      const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence) {
        openFence = fence;
        // Slack shows a language tag as code text, so the fence is reduced to bare backticks.
        out.push('```');
      } else {
        out.push(convertLine(line));
      }
    } else if (isClosingFence(line, openFence)) {
      openFence = undefined;
      out.push('```');
    } else {
      out.push(escapeEntities(line));
    }
  }
  // A reply streamed in pieces often stops inside a code block; closing it keeps the rest from rendering as prose.
  if (openFence !== undefined) out.push('```');
  return out.join('\n');
}

function isClosingFence(line: string, openFence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= openFence.length && trimmed === openFence[0].repeat(trimmed.length);
}

function convertLine(line: string): string {
  const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
  if (heading) return heading[1] === '' ? '' : `*${convertInline(heading[1], { insideBold: true })}*`;

  const quote = /^ {0,3}>\s?(.*)$/.exec(line);
  if (quote) return `> ${convertLine(quote[1])}`;

  if (/^ {0,3}([-*_])(?:\s*\1){2,}\s*$/.test(line)) return '──────────';

  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}• ${convertInline(bullet[2])}`;

  return convertInline(line);
}

/** Stands in for text that must not be touched again (code spans, finished links) while the rest is rewritten. */
const SLOT_START = '\uE000';
const SLOT_END = '\uE001';
/** Marks bold while `*` still means italic in the text being converted. */
const BOLD = '\uE002';

function convertInline(text: string, { insideBold = false } = {}): string {
  const slots: string[] = [];
  const keep = (converted: string): string => `${SLOT_START}${slots.push(converted) - 1}${SLOT_END}`;

  let rest = text
    .replace(/(`+)(.+?)\1/g, (span) => keep(escapeEntities(span)))
    .replace(/!?\[([^\]]*)\]\((\S+?)(?:\s+"[^"]*")?\)/g, (_, label: string, url: string) =>
      keep(label === '' ? `<${escapeEntities(url)}>` : `<${escapeEntities(url)}|${formatEmphasis(escapeEntities(label), insideBold)}>`),
    )
    .replace(/<((?:https?|mailto):[^>\s]+)>/g, (_, url: string) => keep(`<${escapeEntities(url)}>`));

  rest = formatEmphasis(escapeEntities(rest), insideBold);
  return rest.replace(new RegExp(`${SLOT_START}(\\d+)${SLOT_END}`, 'g'), (_, index: string) => slots[Number(index)]);
}

function formatEmphasis(text: string, insideBold: boolean): string {
  const converted = text
    .replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `$1${BOLD}$2${BOLD}`)
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replace(/(^|[^*\w])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![*\w])/g, '$1_$2_');
  // Inside a heading the whole line is already bold; Slack cannot nest bold in bold.
  return converted.replaceAll(BOLD, insideBold ? '' : '*');
}

function escapeEntities(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
