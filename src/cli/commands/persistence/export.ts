import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { ConversationStore } from '../../../store/types.js';
import { plural } from '../../output.js';
import { CliError } from '../../cli-error.js';
import { addDbOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { headerLine, mediaHashesOf, mediaLine, messageLine, sessionLine } from './export-format.js';
import { requireSession } from './require-session.js';

interface ExportOptions extends DbOptions {
  all?: boolean;
  prefix?: string;
  output?: string;
}

export function registerExport(group: Command): void {
  const command = group
    .command('export')
    .description('write sessions, tool calls included, as JSON Lines (the format import reads)')
    .argument('[session-ids...]', 'the sessions to export')
    .option('--all', 'export every session')
    .option('--prefix <text>', 'export every session whose id starts with this')
    .option('-o, --output <file>', 'write to this file instead of stdout');
  addDbOption(command);
  addExamples(command, ['threadline persistence export user-123-main > user-123.jsonl', 'threadline persistence export --all -o backup.jsonl --db postgres://app@db/threadline']);
  command.action(async (sessionIds: string[], options: ExportOptions) => {
    const chosen = [sessionIds.length > 0, options.all === true, options.prefix !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw new CliError('say what to export: session ids, --all, or --prefix <text> (one of them)', 2);
    await withStore(resolveDbUrl(options), async (store) => {
      const ids = sessionIds.length > 0 ? sessionIds : await allSessionIds(store, options.prefix);
      // Checked before the output file is created, so a typo leaves no half-written file.
      for (const id of sessionIds) await requireSession(store, id);
      const out = options.output ? createWriteStream(options.output) : process.stdout;
      await writeLine(out, headerLine());
      let messages = 0;
      const mediaWritten = new Set<string>();
      for (const id of ids) {
        const session = await requireSession(store, id);
        await writeLine(out, sessionLine(session, await store.getRuntimeState(id)));
        const history = await store.fullHistory(id);
        for (const message of history) await writeLine(out, messageLine(message));
        messages += history.length;
        // The media its messages refer to, each once per export.
        for (const hash of history.flatMap(mediaHashesOf)) {
          if (mediaWritten.has(hash)) continue;
          mediaWritten.add(hash);
          const media = await store.getMedia(hash);
          if (media) await writeLine(out, mediaLine(media));
        }
      }
      if (out !== process.stdout) {
        out.end();
        await finished(out);
        // On stderr: stdout stays free for the data when there is no file.
        process.stderr.write(`exported ${plural(ids.length, 'session')} (${plural(messages, 'message')}) to ${options.output}\n`);
      }
    });
  });
}

async function allSessionIds(store: ConversationStore, prefix: string | undefined): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listSessions({ prefix, limit: 1000, cursor });
    ids.push(...page.sessions.map((s) => s.id));
    cursor = page.nextCursor;
  } while (cursor);
  // Oldest first: an import then recreates the sessions in their original order.
  return ids.reverse();
}

async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}
