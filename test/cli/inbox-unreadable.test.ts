import { describe, expect, it } from 'vitest';
import type { InboxRecord } from '../../src/store/types.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { runTs } from '../support/processes.js';
import { inbound, startRunnerWorld } from '../runner/runner-world.js';

const inbox = (db: string, ...args: string[]) => runTs(CLI_MAIN, ['inbox', ...args, '--db', db], { env: { THREADLINE_DB: undefined, DATABASE_URL: undefined } });

describe('threadline inbox: an entry the runner could not read', () => {
  it('ls and explain show it dead with the reason, and the text it holds', async () => {
    const world = await startRunnerWorld({}, async ({ store }) => {
      await store.enqueueInbox({ sessionId: 'scripted:bot:1', eventKey: 'scripted:bot:future', queue: 'scripted', payload: { ...inbound('1', 'future', 'from a newer release'), v: 7 } });
      await store.enqueueInbox({ sessionId: 'scripted:bot:1', eventKey: 'scripted:bot:legacy', queue: 'scripted', payload: inbound('1', 'legacy', 'from an older release') });
    });
    await world.settled();
    await world.close();
    const reason = 'unreadable inbox payload: version 7 is newer than this Threadline (1); upgrade the worker';

    const dead = await inbox(world.db, 'ls', '--dead');
    expect(dead.code).toBe(0);
    expect(dead.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\d+  dead .* scripted:bot:1  attempts 1  "from a newer release"  last error: unreadable inbox payload: version 7 is newer/)]);

    const story = await inbox(world.db, 'explain', 'future');
    expect(story.code).toBe(0);
    expect(story.stdout).toContain(`  payload: ${reason}\n`);
    expect(story.stdout).toMatch(new RegExp(`attempt 1 by .*: failed at claimed \\(permanent\\): ${reason.replace(/[()]/g, '\\$&')}`));
    expect(story.stdout).toMatch(/told the user: "⚠️ Sorry, I could not answer your message: it was stored in a form I cannot read/);
    // The legacy entry read fine: nothing said about its payload.
    const answered = await inbox(world.db, 'explain', 'legacy');
    expect(answered.stdout).toMatch(/: done\n/);
    expect(answered.stdout).not.toContain('payload:');

    const json = JSON.parse((await inbox(world.db, 'ls', '--json')).stdout) as InboxRecord[];
    expect(json.map((r) => [r.eventKey, r.status])).toEqual([['scripted:bot:legacy', 'done'], ['scripted:bot:future', 'dead']]);
  });
});
