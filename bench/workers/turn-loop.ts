// A benchmark worker process: `turns` turns (lock + load last 50 + append 2) on one session, then prints its time.
import { openStore } from '../../src/store/open-store.js';

const [db, sessionId, turns] = process.argv.slice(2);
const store = await openStore(db, { poolSize: 2 });
process.send?.('ready');
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const start = performance.now();
for (let t = 0; t < Number(turns); t++) {
  await store.withSessionLock(
    sessionId,
    async (session) => {
      await session.loadWindow({ maxMessages: 50 });
      await session.appendTurn(
        [
          { role: 'user', content: `turn ${t}` },
          { role: 'assistant', content: `reply ${t}` },
        ],
        { releaseLock: true },
      );
    },
    // As Agent runs a turn: the window with the lock, the lock with the commit.
    { waitMs: 120_000, preload: { maxMessages: 50 } },
  );
}
process.send?.({ ms: performance.now() - start });
await store.close();
