import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { ConversationStore, MediaStore, NewMessage, StoredMessage } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { plural, printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { parseExportWithMedia, type ExportedMessage, type ExportedSession } from './export-format.js';

interface ImportOptions extends DbOptions {
  json?: boolean;
}

/** What one session still needs: the messages past what the database already holds. */
interface SessionPlan {
  session: ExportedSession;
  missing: ExportedMessage[];
  exists: boolean;
}

export function registerImport(group: Command): void {
  const command = group
    .command('import')
    .description('import sessions written by export (idempotent: what is already there is skipped)')
    .argument('<file>', 'the JSON Lines file, or - for stdin');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence import backup.jsonl --db postgres://app@db/threadline', 'threadline persistence export --all --db old.db | threadline persistence import - --db new.db']);
  command.action(async (file: string, options: ImportOptions) => {
    const text = file === '-' ? await readStream(process.stdin) : await readInput(file);
    const { sessions, media } = parseExportWithMedia(text, file === '-' ? 'stdin' : file);
    await withStore(resolveDbUrl(options), async (store) => {
      // Media first: the messages imported next refer to them.
      for (const item of media) await store.putMedia(item);
      // Every session is checked against the database before anything is written.
      const plans = await Promise.all(sessions.map((session) => planSession(store, session)));
      const total = plans.reduce((sum, plan) => sum + plan.missing.length, 0);
      const bar = process.stderr.isTTY && !options.json && total > 0 ? new SingleBar({ stream: process.stderr, clearOnComplete: true }, Presets.shades_classic) : undefined;
      bar?.start(total, 0);
      let done = 0;
      try {
        for (const plan of plans) {
          await applyPlan(store, plan, (count) => bar?.update((done += count)));
        }
      } finally {
        bar?.stop();
      }
      const changed = plans.filter((plan) => plan.missing.length > 0 || !plan.exists).length;
      const summary = { sessions: sessions.length, sessionsChanged: changed, messagesImported: total };
      if (options.json) return printJson(summary);
      const upToDate = sessions.length - changed;
      printLine(`imported ${plural(total, 'message')} into ${plural(changed, 'session')} in ${store.location}${upToDate ? `; ${upToDate} already up to date` : ''}`);
    }, { create: true });
  });
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 2);
  }
}

async function planSession(store: ConversationStore, session: ExportedSession): Promise<SessionPlan> {
  const existing = (await store.getSession(session.id)) ? await store.fullHistory(session.id) : undefined;
  return { session, missing: session.messages.slice(checkedPrefix(session, existing ?? [])), exists: existing !== undefined };
}

/** How many of the session's messages the database already holds; refuses a session whose stored history differs. */
function checkedPrefix(session: ExportedSession, stored: StoredMessage[]): number {
  const differs = stored.findIndex((message, i) => i >= session.messages.length || !sameMessage(message, session.messages[i]));
  if (differs !== -1) {
    throw new CliError(
      `session ${JSON.stringify(session.id)} already exists with a different history (from message ${differs + 1}): delete it first ("threadline persistence delete") or import into another database; nothing was imported`,
    );
  }
  return stored.length;
}

function sameMessage(stored: StoredMessage, imported: ExportedMessage): boolean {
  return (
    stored.role === imported.role &&
    stored.content === imported.content &&
    (stored.name ?? null) === (imported.name ?? null) &&
    (stored.toolCallId ?? null) === (imported.toolCallId ?? null) &&
    JSON.stringify(stored.toolCalls ?? null) === JSON.stringify(imported.toolCalls ?? null)
  );
}

/** Commits the missing messages turn by turn, as they were committed originally; the runtime state rides on the last turn. */
async function applyPlan(store: ConversationStore & MediaStore, plan: SessionPlan, progress: (count: number) => void): Promise<void> {
  const { session } = plan;
  if (plan.missing.length === 0) {
    if (!plan.exists) await store.ensureSession(session.id, session.metadata);
    return;
  }
  await store.withSessionLock(session.id, async (locked) => {
    // Recomputed under the lock: another writer may have added to the session since the plan was made.
    const turns = groupByTurn(session.messages.slice(checkedPrefix(session, await locked.loadWindow())));
    for (const [i, turn] of turns.entries()) {
      const last = i === turns.length - 1;
      await locked.appendTurn(turn, {
        metadata: session.metadata,
        ...(last && session.runtimeState ? { runtimeState: session.runtimeState } : {}),
      });
      progress(turn.length);
    }
  });
}

function groupByTurn(messages: ExportedMessage[]): NewMessage[][] {
  const turns: NewMessage[][] = [];
  let current: number | undefined;
  for (const { seq: _seq, turn, createdAt, ...message } of messages) {
    if (turn !== current) turns.push([]);
    current = turn;
    turns[turns.length - 1].push({ ...message, ...(createdAt ? { createdAt: new Date(createdAt) } : {}) });
  }
  return turns;
}
