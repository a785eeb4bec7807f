import { Agent } from '../src/core/agent.js';
import type { AssistantReply, ChatModel, ChatRequest } from '../src/core/llm/chat-model.js';
import { openStore } from '../src/store/open-store.js';
import type { HistoryStore } from '../src/store/types.js';
import { postgresFloor, sqliteFloor } from './lib/floor.js';
import { ms, printTable, timeEach, type Row } from './lib/stats.js';
import { PG_URL, pgDb, sqliteDb } from './lib/targets.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);

/** A model that answers at once, in-process: whatever a turn costs beyond it is Threadline's own overhead. */
class InstantModel implements ChatModel {
  readonly model = 'instant';
  // eslint-disable-next-line require-yield
  async *stream(_request: ChatRequest): AsyncGenerator<string, AssistantReply, void> {
    return { content: 'ok', toolCalls: [] };
  }
}

async function seed(store: HistoryStore, sessionId: string, messages: number): Promise<void> {
  for (let i = 0; i < messages; i += 2) {
    await store.appendTurn(sessionId, [
      { role: 'user', content: `message ${i}` },
      { role: 'assistant', content: `message ${i + 1}` },
    ]);
  }
}

export async function benchAgent(kind: 'postgres' | 'sqlite'): Promise<void> {
  const floor = ms(kind === 'postgres' ? await postgresFloor(PG_URL, ITERATIONS) : await sqliteFloor(sqliteDb('agent-floor'), ITERATIONS));
  const store = await openStore(kind === 'postgres' ? pgDb('agent') : sqliteDb('agent'));
  const rows: Row[] = [{ case: 'floor: one bare durable commit', p50_ms: floor.p50, p99_ms: floor.p99, 'p50 / floor': 1, target: '' }];
  const p50s: number[] = [];
  for (const size of [10, 10_000]) {
    const sessionId = `agent-${size}`;
    await seed(store, sessionId, size);
    const agent = new Agent({ name: 'Bench', instructions: 'Be brief.', llm: new InstantModel(), memory: { store, sessionId, window: { maxMessages: 50 } } });
    const t = ms(await timeEach(ITERATIONS, 20, () => agent.start('hello')));
    p50s.push(t.p50);
    rows.push({ case: `agent.start() at ${size} messages`, p50_ms: t.p50, p99_ms: t.p99, 'p50 / floor': t.p50 / floor.p50, target: '<= 1.5x' });
    await agent.close();
  }
  rows.push({ case: 'at 10,000 / at 10', p50_ms: '', p99_ms: '', 'p50 / floor': p50s[1] / p50s[0], target: '~1x' });
  await store.close();
  printTable(`Agent overhead beyond the LLM: ${kind} (instant in-process model, window 50, ${ITERATIONS} turns each)`, rows);
}
