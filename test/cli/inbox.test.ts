import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { InboxRecord } from '../../src/store/types.js';
import { BACKENDS } from '../store/backends.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { runTs } from '../support/processes.js';

const inbox = (db: string, ...args: string[]) => runTs(CLI_MAIN, ['inbox', ...args, '--db', db], { env: { THREADLINE_DB: undefined, DATABASE_URL: undefined } });

/** Three messages with three fates: answered, dead after a platform refusal, waiting for a deferred attempt. */
async function seed(db: string): Promise<{ answered: number; dead: number; waiting: number }> {
  const store = await openStore(db);
  try {
    const payload = (text: string) => ({ text, chatId: '1' });
    const answered = (await store.enqueueInbox({ sessionId: 'tg:1', eventKey: 'tg:7:100', queue: 'telegram', payload: payload('hello') })).id!;
    await store.enqueueInbox({ sessionId: 'tg:1', eventKey: 'tg:7:100', queue: 'telegram', payload: payload('hello') });
    const dead = (await store.enqueueInbox({ sessionId: 'tg:1', eventKey: 'tg:7:101', queue: 'telegram', payload: payload('are you there?') })).id!;
    const waiting = (await store.enqueueInbox({ sessionId: 'tg:2', eventKey: 'tg:7:102', queue: 'telegram', payload: payload('slow one') })).id!;
    await store.withSessionLock('tg:1', async (s) => {
      await s.claimInbox(1, 'host-a:11');
      await s.recordReplyPart(answered, 0, '555');
      await s.appendTurn([{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi there' }], { completeInbox: [answered] });
      await s.claimInbox(1, 'host-a:11');
      await s.recordNotice(dead, '⚠️ Sorry, I could not answer your message: the reply could not be delivered here.');
      await s.completeInbox([dead], 'dead', { stage: 'delivering', errorClass: 'permanent', error: 'Bad Request: message is too long' });
    });
    await store.withSessionLock('tg:2', async (s) => {
      await s.claimInbox(1, 'host-b:22');
      await s.deferInbox([waiting], { stage: 'generating', errorClass: 'transient', error: 'LLM endpoint answered HTTP 503' }, new Date(Date.now() + 3_600_000));
    });
    return { answered, dead, waiting };
  } finally {
    await store.close();
  }
}

describe.each(BACKENDS)('$name: threadline inbox', ({ freshDb }) => {
  it('ls shows each fate; explain tells the timeline; retry puts a dead entry back, and only a dead one', async () => {
    const db = freshDb('inbox_cli');
    const { answered, dead, waiting } = await seed(db);

    const all = await inbox(db, 'ls', '--json');
    expect(all.code).toBe(0);
    const records = JSON.parse(all.stdout) as InboxRecord[];
    expect(records.map((r) => [r.id, r.status])).toEqual([[waiting, 'pending'], [dead, 'dead'], [answered, 'done']]);
    const deadOnly = await inbox(db, 'ls', '--dead');
    expect(deadOnly.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${dead}  dead .* tg:1  attempts 1  "are you there\\?"  last error: Bad Request: message is too long$`))]);
    expect((await inbox(db, 'ls', '--pending', '--session', 'tg:2')).stdout).toMatch(/attempts 1, next attempt .*"slow one"  last error: LLM endpoint answered HTTP 503/);

    // By the platform's own event id, the last part of the event key.
    const story = await inbox(db, 'explain', '100');
    expect(story.code).toBe(0);
    expect(story.stdout).toMatch(/inbox entry \d+ \(tg:7:100\) in session tg:1: done/);
    expect(story.stdout).toMatch(/received \(the platform delivered it 1 more time; ignored\)/);
    expect(story.stdout).toMatch(/attempt 1 by host-a:11/);
    expect(story.stdout).toMatch(/reply posted as platform message 555/);
    expect(story.stdout).toMatch(/answered by turn 1 of tg:1:\n\s+\[1\] user: hello\n\s+\[2\] assistant: hi there/);

    const deadStory = await inbox(db, 'explain', String(dead));
    expect(deadStory.stdout).toMatch(/attempt 1 by host-a:11: failed at delivering \(permanent\): Bad Request: message is too long/);
    expect(deadStory.stdout).toMatch(/told the user: "⚠️ Sorry/);
    expect(deadStory.stdout).toMatch(/ dead: Bad Request: message is too long/);
    expect((await inbox(db, 'explain', String(waiting))).stdout).toMatch(/next attempt not before .* \(LLM endpoint answered HTTP 503\)/);

    const notDead = await inbox(db, 'retry', String(answered));
    expect(notDead.code).toBe(2);
    expect(notDead.stderr).toBe(`threadline: inbox entry ${answered} is done, not dead: only dead entries can be retried\n`);
    const unknown = await inbox(db, 'explain', '999999');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^threadline: no inbox entry 999999: pass an inbox id, event key or platform event id/);

    const retried = await inbox(db, 'retry', String(dead));
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(`inbox entry ${dead} is pending again`);
    const after = JSON.parse((await inbox(db, 'ls', '--pending', '--session', 'tg:1', '--json')).stdout) as InboxRecord[];
    expect(after).toEqual([expect.objectContaining({ id: dead, status: 'pending', attempts: 0 })]);
  });
});
