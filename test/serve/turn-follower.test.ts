import { afterEach, describe, expect, it } from 'vitest';
import { followToEnd, followTurn, type FollowedEvent } from '../../src/serve/turn-follower.js';
import { TurnActivity } from '../../src/serve/turn-activity.js';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore, NewMessage } from '../../src/store/types.js';
import { BACKENDS } from '../store/backends.js';

const user = (content: string): NewMessage => ({ role: 'user', content });
const assistant = (content: string): NewMessage => ({ role: 'assistant', content });
const delta = (text: string) => ({ kind: 'delta', data: { text } });
/** Long enough that a follower finishing within it was woken by a notification, not by its poll. */
const POLL_MS = 30_000;

/** The follower in process, against the store itself: its events, their ids, and how it ends. */
describe.each(BACKENDS)('followTurn on $name', ({ freshDb }) => {
  const open: Array<{ store: HistoryStore; activity: TurnActivity }> = [];
  const fresh = async (label: string) => {
    const store = await openStore(freshDb(label));
    const activity = new TurnActivity();
    await activity.start(store);
    open.push({ store, activity });
    return { store, activity };
  };
  afterEach(async () => {
    for (const { store, activity } of open.splice(0)) {
      await activity.stop();
      await store.close();
    }
  });
  const enqueue = async (store: HistoryStore, eventKey: string) => (await store.enqueueInbox({ sessionId: 'chat', eventKey, payload: {}, followed: true })).id!;
  const brief = (events: FollowedEvent[]) =>
    events.map((e) => [e.event, e.id, e.event === 'delta' ? e.data.text : e.event === 'done' ? e.data.reply : e.event === 'error' ? e.data.error : undefined]);

  it('follows a turn live: start 0, deltas and resets by seq, then done with the last seq + 1 and the committed turn', async () => {
    const { store, activity } = await fresh('follow_live');
    const id = await enqueue(store, 'live');
    const seen: FollowedEvent[] = [];
    const followed = (async () => {
      for await (const e of followTurn(store, activity, id, { pollMs: POLL_MS })) seen.push(e);
    })();
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(id, [delta('Hel'), delta('lo')]);
      await s.recordTurnEvents(id, [{ kind: 'reset', data: {} }, { kind: 'other', data: null }, delta('Hello')]);
      await s.appendTurn([user('hi'), assistant('Hello')], { completeInbox: [id] });
    });
    await followed;
    expect(brief(seen)).toEqual([
      ['start', 0, undefined],
      ['delta', 1, 'Hel'],
      ['delta', 2, 'lo'],
      ['reset', 3, undefined],
      ['delta', 5, 'Hello'],
      ['done', 6, 'Hello'],
    ]);
    expect(seen[0].data).toEqual({ sessionId: 'chat', turnId: String(id) });
    expect(seen.at(-1)!.data).toMatchObject({ turn: 1, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello' }] });

    // Replayed after an id: only what came after it, the end with the same id.
    expect(brief(await collect(followTurn(store, activity, id, { afterId: 2, pollMs: POLL_MS })))).toEqual([
      ['reset', 3, undefined],
      ['delta', 5, 'Hello'],
      ['done', 6, 'Hello'],
    ]);
    // A caller that knows the session sends start before its first look; the rest is the same.
    expect(brief(await collect(followTurn(store, activity, id, { sessionId: 'chat', pollMs: POLL_MS }))).map((e) => e[0])).toEqual(['start', 'delta', 'delta', 'reset', 'delta', 'done']);
    // No such entry: nothing.
    expect(await collect(followTurn(store, activity, id + 1000, { pollMs: POLL_MS }))).toEqual([]);
  });

  it('reads a log longer than a page to its end before the fate, however the pages fall', async () => {
    const { store, activity } = await fresh('follow_pages');
    const id = await enqueue(store, 'long');
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(id, Array.from({ length: 2500 }, (_, i) => delta(`${i + 1} `)));
      await s.appendTurn([user('count'), assistant('done counting')], { completeInbox: [id] });
    });
    const events = await collect(followTurn(store, activity, id, { pollMs: POLL_MS }));
    expect(events).toHaveLength(1 + 2500 + 1);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.id)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ event: 'done', id: 2501 });
  });

  it('ends with what the user was told: the last notice, else the last error; refused entries say so', async () => {
    const { store, activity } = await fresh('follow_errors');
    const told = await enqueue(store, 'told');
    const untold = await enqueue(store, 'untold');
    await store.withSessionLock('chat', async (s) => {
      await s.recordTurnEvents(told, [delta('partial')]);
      await s.recordNotice(told, 'still working');
      await s.recordNotice(told, 'Sorry, I could not answer that.');
      await s.completeInbox([told, untold], 'dead', { stage: 'generating', errorClass: 'permanent', error: 'model failed' });
    });
    const refused = (await store.enqueueInbox({ sessionId: 'chat', eventKey: 'refused', payload: {}, refused: 'not for us', followed: true })).id!;

    expect(brief(await collect(followTurn(store, activity, told, { pollMs: POLL_MS })))).toEqual([
      ['start', 0, undefined],
      ['delta', 1, 'partial'],
      ['error', 2, 'Sorry, I could not answer that.'],
    ]);
    expect(await followToEnd(followTurn(store, activity, untold, { pollMs: POLL_MS }))).toEqual({ event: 'error', id: 1, data: { error: 'model failed', code: 'dead_letter' } });
    expect(await followToEnd(followTurn(store, activity, refused, { pollMs: POLL_MS }))).toEqual({ event: 'error', id: 1, data: { error: 'not for us', code: 'refused' } });
  });

  it('stops when the client goes away, without an end', async () => {
    const { store, activity } = await fresh('follow_abort');
    const id = await enqueue(store, 'pending');
    const gone = new AbortController();
    const seen: FollowedEvent[] = [];
    const followed = (async () => {
      for await (const e of followTurn(store, activity, id, { signal: gone.signal, pollMs: POLL_MS })) seen.push(e);
    })();
    await store.withSessionLock('chat', (s) => s.recordTurnEvents(id, [delta('so far')]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    gone.abort();
    await followed;
    expect(seen.map((e) => e.event)).toEqual(['start', 'delta']);
  });
});

async function collect(events: AsyncIterable<FollowedEvent>): Promise<FollowedEvent[]> {
  const all: FollowedEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
}
