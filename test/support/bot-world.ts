import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { startFakeOpenAI, type FakeHandler, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import type { TsProcess } from './processes.js';

/** What every bot test stands on besides its platform fake: the fake LLM, and one close() for both. */
export async function withFakeLlm<Platform extends { close(): Promise<void> }>(
  platform: Platform,
  handler?: FakeHandler,
): Promise<{ llm: FakeOpenAI; close(): Promise<void> }> {
  const llm = await startFakeOpenAI(handler ? { handler } : {});
  return {
    llm,
    async close() {
      await platform.close();
      await llm.close();
    },
  };
}

/** SIGTERM and wait, the way a deployment stops a worker; a worker that does not leave cleanly fails the test. */
export async function stopGracefully(proc: TsProcess): Promise<void> {
  proc.kill('SIGTERM');
  const exit = await proc.exited;
  if (exit.code !== 0) throw new Error(`worker exited with ${exit.code ?? exit.signal} after SIGTERM: ${proc.stderrText.slice(-2000)}`);
}

/** Opens the store in the test process for inspection, and closes it again. */
export async function withStore<T>(db: string, fn: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A port nothing listens on right now (for a worker's webhook server). */
export { freePort } from './owned-postgres.js';
