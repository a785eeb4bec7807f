import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { killAll, spawnTs } from '../support/processes.js';
import { BACKENDS } from './backends.js';

const WORKERS = 8;
const TURNS = 50;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

afterEach(() => killAll());

describe.each(BACKENDS)('$name: many processes on one session', ({ freshDb }) => {
  it(`${WORKERS} processes migrate a fresh database together, then ${TURNS} turns each lose, duplicate and interleave nothing`, async () => {
    const db = freshDb('hammer');
    // No store is opened up front: the workers also race to apply the migrations to the fresh database.

    const reader = spawnTs(fixture('history-reader.ts'), [db, 'hot']);
    const workers = Array.from({ length: WORKERS }, (_, w) => spawnTs(fixture('turn-worker.ts'), [db, 'hot', String(w), String(TURNS)]));
    const exits = await Promise.all(workers.map((p) => p.exited));
    expect(exits.map((e) => e.code)).toEqual(Array(WORKERS).fill(0));
    reader.kill('SIGTERM');
    await reader.exited;
    const readerReport = JSON.parse(reader.stdoutLines.at(-1)!) as { snapshots: number; problems: string[] };
    expect(readerReport.problems).toEqual([]);
    expect(readerReport.snapshots).toBeGreaterThan(1);

    const store = await openStore(db);
    const history = await store.fullHistory('hot');
    const version = await store.schemaVersion();
    await store.close();
    expect(version.current).toBe(version.latest);

    const users = history.filter((m) => m.role === 'user');
    const replies = history.filter((m) => m.role === 'assistant');
    expect(users).toHaveLength(WORKERS * TURNS);
    expect(replies).toHaveLength(WORKERS * TURNS);
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    expect(new Set(users.map((m) => m.content)).size).toBe(WORKERS * TURNS);

    const seen: number[] = [];
    for (let i = 0; i < history.length; i += 2) {
      const [u, a] = [history[i], history[i + 1]];
      // each reply directly follows its own user message, and its turn saw the complete history before it
      expect(a.content).toBe(`${u.content} saw ${i}`);
      expect(a.turn).toBe(u.turn);
      seen.push(Number(/saw (\d+)$/.exec(a.content!)![1]));
    }
    expect(seen).toEqual(seen.map((_, i) => 2 * i));
    // every worker ran its turns in its own order
    for (let w = 0; w < WORKERS; w++) {
      const mine = users.filter((m) => m.content!.startsWith(`w${w} `)).map((m) => m.content);
      expect(mine).toEqual(Array.from({ length: TURNS }, (_, t) => `w${w} t${t}`));
    }
  });

  it('a lock holder killed mid-turn frees the session quickly and leaves no partial turn', async () => {
    const db = freshDb('crash');
    const holder = spawnTs(fixture('lock-holder.ts'), [db, 'crashy']);
    await holder.waitForLine(/^locked$/, 30_000);

    const store = await openStore(db);
    await expect(store.withSessionLock('crashy', async () => 'got it', { waitMs: 200 })).rejects.toThrow(/is busy/);
    holder.kill('SIGKILL');
    const started = Date.now();
    const result = await store.withSessionLock(
      'crashy',
      async (session) => {
        const before = await session.loadWindow();
        await session.appendTurn([{ role: 'user', content: 'after' }, { role: 'assistant', content: 'after reply' }]);
        return before.length;
      },
      { waitMs: 10_000 },
    );
    expect(result).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await store.fullHistory('crashy')).map((m) => m.content)).toEqual(['before', 'before reply', 'after', 'after reply']);
    await store.close();
  });
});
