import type { Command } from 'commander';
import { COMMITTED_STAGE } from '../../../store/row-mapping.js';
import type { ConversationStore, InboxTimeline, StoredMessage } from '../../../store/types.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { formatMessage, printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { unreadablePayload } from '../../../runner/inbox-payload.js';
import { entryText, requireEntry } from './entry-text.js';

interface ExplainOptions extends DbOptions {
  json?: boolean;
}

export function registerExplain(group: Command): void {
  const command = group
    .command('explain <entry>')
    .description('why a message got the answer it got (or none): its timeline, by inbox id, event key or platform event id');
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline inbox explain 17', 'threadline inbox explain telegram:7000000001:123 --json']);
  command.action(async (ref: string, options: ExplainOptions) => {
    await withStore(resolveDbUrl(options), async (store) => {
      const timeline = await requireEntry(store, ref);
      const turn = await answeringTurn(store, timeline);
      if (options.json) return printJson({ ...timeline, turn });
      for (const line of describe(timeline, turn)) printLine(line);
    });
  });
}

async function answeringTurn(store: ConversationStore, { entry }: InboxTimeline): Promise<StoredMessage[] | undefined> {
  if (!entry.answeredBy) return undefined;
  const { sessionId, turn } = entry.answeredBy;
  return (await store.fullHistory(sessionId)).filter((m) => m.turn === turn);
}

function describe({ entry, attempts, replyParts, notices }: InboxTimeline, turn: StoredMessage[] | undefined): string[] {
  const at = (date: Date) => date.toISOString();
  const events: Array<[Date, string]> = [[entry.receivedAt, `received${entry.redeliveries ? ` (the platform delivered it ${entry.redeliveries} more time${entry.redeliveries === 1 ? '' : 's'}; ignored)` : ''}`]];
  for (const a of attempts) {
    const end = !a.endedAt
      ? 'no outcome recorded (its worker stopped or lost the database)'
      : a.error
        ? `failed at ${a.stage} (${a.errorClass}): ${a.error}`
        : a.stage === COMMITTED_STAGE
          ? 'answered'
          : `ended at ${a.stage}`;
    events.push([a.startedAt, `attempt ${a.attempt} by ${a.worker}: ${end}`]);
  }
  for (const n of notices) events.push([n.at, `told the user: ${JSON.stringify(n.text)}`]);
  if (entry.doneAt) events.push([entry.doneAt, `${entry.status}${entry.lastError && entry.status !== 'done' ? `: ${entry.lastError}` : ''}`]);
  events.sort(([a], [b]) => a.getTime() - b.getTime());

  const lines = [`inbox entry ${entry.id} (${entry.eventKey}) in session ${entry.sessionId}: ${entry.status}`, `  text: ${JSON.stringify(entryText(entry, 200))}`];
  const unreadable = unreadablePayload(entry);
  if (unreadable) lines.push(`  payload: ${unreadable}`);
  for (const [time, what] of events) lines.push(`  ${at(time)}  ${what}`);
  if (entry.status === 'pending') {
    lines.push(entry.nextAttemptAt ? `  next attempt not before ${at(entry.nextAttemptAt)} (${entry.lastError ?? ''})` : '  waiting for a worker');
  }
  if (replyParts.length) lines.push(`  reply posted as platform message${replyParts.length === 1 ? '' : 's'} ${replyParts.map((p) => p.platformMessageId).join(', ')}`);
  for (const part of replyParts) {
    if (part.deliveryError) lines.push(`  part ${part.part} (${part.platformMessageId}) was not delivered: ${part.deliveryError}`);
  }
  if (turn && entry.answeredBy) {
    lines.push(`  answered by turn ${entry.answeredBy.turn} of ${entry.answeredBy.sessionId}:`);
    for (const message of turn) lines.push(`    ${formatMessage(message)}`);
  }
  return lines;
}
