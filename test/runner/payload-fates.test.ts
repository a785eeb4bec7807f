import { afterEach, describe, expect, it } from 'vitest';
import type { QueueMode } from '../../src/runner/bot-runner.js';
import { UNREADABLE } from '../../src/runner/user-notices.js';
import type { HistoryStore } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { inbound, startRunnerWorld, type RunnerWorld } from './runner-world.js';

/** Entries recorded by other releases, read by this one: the readable ones answered, the others dead-lettered alone. */

let world: RunnerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SESSION = 'scripted:bot:1';
const fate = async (w: RunnerWorld, eventId: string) => (await w.store.inboxTimeline(`scripted:bot:${eventId}`))!;

/**
 * Four entries of one chat, pending while a deploy happens, in this order: one of the release before versions (no
 * `v`), one of a newer release (version 7), one broken past reading (no reply address either), one of this release.
 * The unreadable ones hold words that must reach no log line.
 */
async function recordMixedEntries(store: HistoryStore): Promise<void> {
  const record = (eventId: string, payload: unknown) => store.enqueueInbox({ sessionId: SESSION, eventKey: `scripted:bot:${eventId}`, queue: 'scripted', payload });
  await record('legacy', inbound('1', 'legacy', 'from before versions'));
  await record('future', { ...inbound('1', 'future', 'secret future words'), v: 7 });
  await record('broken', { v: 1, body: 'secret broken words' });
  await record('current', { v: 1, ...inbound('1', 'current', 'from this release') });
}

describe.each<QueueMode>(['sequential', 'collect'])('%s: an inbox payload that does not read', (queueMode) => {
  it('is dead-lettered with its reason, the sender told when the payload says where; the entries around it are answered', async () => {
    world = await startRunnerWorld({ queueMode }, ({ store }) => recordMixedEntries(store));
    await world.settled();

    for (const eventId of ['legacy', 'current']) expect((await fate(world, eventId)).entry.status).toBe('done');
    if (queueMode === 'sequential') {
      expect(world.model.calls).toEqual(['from before versions', 'from this release']);
      expect(world.platform.shown('1')).toEqual(['re: from before versions', UNREADABLE, 're: from this release']);
    } else {
      // The readable two are one turn; the unreadable ones were dead-lettered before it.
      expect(world.model.calls).toEqual(['from this release']);
      expect(world.platform.shown('1')).toEqual([UNREADABLE, 're: from this release']);
      expect((await fate(world, 'legacy')).entry.answeredBy).toEqual((await fate(world, 'current')).entry.answeredBy);
    }

    const future = await fate(world, 'future');
    const reason = 'unreadable inbox payload: version 7 is newer than this Threadline (1); upgrade the worker';
    expect(future.entry).toMatchObject({ status: 'dead', attempts: 1, lastError: reason });
    expect(future.attempts).toEqual([expect.objectContaining({ stage: 'claimed', errorClass: 'permanent', error: reason })]);
    expect(future.notices.map((n) => n.text)).toEqual([UNREADABLE]);
    // No chat in it: nobody is told, the ledger says why.
    const broken = await fate(world, 'broken');
    expect(broken.entry).toMatchObject({ status: 'dead', lastError: 'unreadable inbox payload: version 1, field platform: expected string, received undefined' });
    expect(broken.notices).toEqual([]);

    const deadLines = world.logs.filter((l) => l.msg === 'message dead-lettered');
    expect(deadLines.map((l) => [l.level, l.inbox, l.reason, l.told])).toEqual([
      [40, [future.entry.id], reason, undefined],
      [40, [broken.entry.id], broken.entry.lastError, false],
    ]);
    expect(JSON.stringify(world.logs)).not.toMatch(/secret/);

    // The runner goes on: the chat's next message is answered.
    await world.platform.say('1', 'still there?');
    await world.settled();
    expect(world.platform.shown('1').at(-1)).toBe('re: still there?');
  });
});

describe('the inbox payload the runner records', () => {
  it('carries the version; a /stop recorded beside an unreadable entry still stops the turn in progress', async () => {
    world = await startRunnerWorld();
    world.model.steps.push({ text: 'a long answer that the user will stop before it ends', chunkMs: 100 });
    await world.platform.say('1', 'tell me everything');
    expect((await fate(world, '1')).entry.payload).toMatchObject({ v: 1, text: 'tell me everything', chatId: '1' });
    await eventually('the turn to start', () => (world!.model.calls.length > 0 ? true : undefined));
    // Recorded by other workers: each one makes the runner look among the pending entries for a /stop.
    await world.store.enqueueInbox({ sessionId: SESSION, eventKey: 'scripted:bot:odd', queue: 'scripted', payload: 'not a message' });
    await world.store.enqueueInbox({ sessionId: SESSION, eventKey: 'scripted:bot:stop', queue: 'scripted', payload: inbound('1', 'stop', '/stop'), solo: true });
    await world.settled();
    expect((await fate(world, '1')).entry.status).toBe('done');
    expect(world.platform.shown('1').at(-1)).toBe('Stopped. Nothing of that reply was kept.');
    expect((await fate(world, 'odd')).entry).toMatchObject({ status: 'dead', lastError: 'unreadable inbox payload: a string, not an object' });
  });
});
