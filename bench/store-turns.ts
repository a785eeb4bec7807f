import { openStore } from '../src/store/open-store.js';
import type { HistoryStore } from '../src/store/types.js';
import { postgresFloor, postgresRoundTrip, sqliteFloor } from './lib/floor.js';
import { NaiveJsonHistory } from './lib/naive-store.js';
import { runWorkers } from './lib/processes.js';
import { ms, printTable, timeEach, type Row } from './lib/stats.js';
import { PG_URL, pgDb, sqliteDb } from './lib/targets.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const HISTORY_SIZES = [10, 1_000, 10_000];
const WORKERS = 8;
const TURNS_PER_WORKER = Number(process.env.BENCH_TURNS_PER_WORKER ?? 100);

/** Seed through the store itself, two messages a turn, as real conversations are. */
export async function seed(store: HistoryStore, sessionId: string, messages: number): Promise<void> {
  for (let i = 0; i < messages; i += 2) {
    await store.appendTurn(sessionId, [
      { role: 'user', content: `message ${i} of the seeded history` },
      { role: 'assistant', content: `message ${i + 1} of the seeded history` },
    ]);
  }
}

const WINDOW = { maxMessages: 50 };
const EXCHANGE = [
  { role: 'user' as const, content: 'hello' },
  { role: 'assistant' as const, content: 'hi there' },
];

/**
 * One turn as the brief defines it: lock + load the last 50 + append 2 messages, the way `Agent` runs it: the window
 * comes with the lock, and the lock goes with the commit.
 */
export const turn = (store: HistoryStore, sessionId: string) =>
  store.withSessionLock(
    sessionId,
    async (session) => {
      await session.loadWindow(WINDOW);
      await session.appendTurn(EXCHANGE, { releaseLock: true });
    },
    { preload: WINDOW },
  );

/** The same turn in three statements (lock; load; commit, then unlock), as before the two-round-trip path. */
const turnInThreeStatements = (store: HistoryStore, sessionId: string) =>
  store.withSessionLock(sessionId, async (session) => {
    await session.loadWindow(WINDOW);
    await session.appendTurn(EXCHANGE);
  });

/**
 * A bot's turn on one inbox entry, with or without the fate ledger: `claimInbox` counts the attempt durably before
 * the turn; without the ledger the entry is only read. The difference is the ledger's cost per turn.
 */
async function inboxTurn(store: HistoryStore, sessionId: string, n: number, ledger: boolean): Promise<void> {
  await store.enqueueInbox({ sessionId, eventKey: `bench:${sessionId}:${ledger}:${n}`, payload: { text: 'hello' } });
  await store.withSessionLock(
    sessionId,
    async (session) => {
      const [entry] = ledger ? await session.claimInbox(1, 'bench:1') : await session.pendingInbox(1);
      await session.loadWindow(WINDOW);
      await session.appendTurn(EXCHANGE, { completeInbox: [entry.id], releaseLock: true });
    },
    { preload: WINDOW },
  );
}

export async function benchStore(kind: 'postgres' | 'sqlite'): Promise<{ floorP50: number }> {
  const db = kind === 'postgres' ? pgDb('store') : sqliteDb('store');
  const floor = ms(kind === 'postgres' ? await postgresFloor(PG_URL, ITERATIONS) : await sqliteFloor(sqliteDb('floor'), ITERATIONS));
  const store = await openStore(db);
  const rows: Row[] = [{ case: 'floor: one bare durable commit', p50_ms: floor.p50, p99_ms: floor.p99, 'p50 / floor': 1, note: '' }];
  if (kind === 'postgres') {
    const rtt = ms(await postgresRoundTrip(PG_URL, ITERATIONS));
    rows.push({ case: 'one round trip (SELECT 1)', p50_ms: rtt.p50, p99_ms: rtt.p99, 'p50 / floor': rtt.p50 / floor.p50, note: 'a turn needs 3 (lock, load, commit)' });
  }
  const perSize = new Map<number, number>();
  for (const size of HISTORY_SIZES) {
    const sessionId = `bench-${size}`;
    await seed(store, sessionId, size);
    const t = ms(await timeEach(ITERATIONS, 20, () => turn(store, sessionId)));
    perSize.set(size, t.p50);
    rows.push({ case: `turn at ${size} messages`, p50_ms: t.p50, p99_ms: t.p99, 'p50 / floor': t.p50 / floor.p50, note: '' });
  }
  {
    const t = ms(await timeEach(ITERATIONS, 20, () => turnInThreeStatements(store, 'bench-1000')));
    rows.push({ case: 'turn at 1000, in three statements', p50_ms: t.p50, p99_ms: t.p99, 'p50 / floor': t.p50 / floor.p50, note: 'lock; load; commit (the old path)' });
  }
  {
    // The enqueue is part of each sample on both sides, so it cancels out of the difference.
    let n = 0;
    const bare = ms(await timeEach(ITERATIONS, 20, () => inboxTurn(store, 'bench-inbox-bare', n++, false)));
    const ledger = ms(await timeEach(ITERATIONS, 20, () => inboxTurn(store, 'bench-inbox-ledger', n++, true)));
    rows.push({ case: 'enqueue + bot turn, entry only read', p50_ms: bare.p50, p99_ms: bare.p99, 'p50 / floor': bare.p50 / floor.p50, note: '' });
    rows.push({
      case: 'enqueue + bot turn, attempt counted',
      p50_ms: ledger.p50,
      p99_ms: ledger.p99,
      'p50 / floor': ledger.p50 / floor.p50,
      note: `the fate ledger costs ${(ledger.p50 - bare.p50).toFixed(2)} ms a turn`,
    });
  }
  const at10 = perSize.get(10)!;
  const at10k = perSize.get(10_000)!;
  rows.push({ case: 'turn at 10,000 / turn at 10', p50_ms: '', p99_ms: '', 'p50 / floor': '', note: `${(at10k / at10).toFixed(2)}x (target <= 1.2x)` });

  if (kind === 'postgres') {
    const naive = await NaiveJsonHistory.open(PG_URL);
    for (const size of [1_000, 10_000]) {
      await naive.seed(`naive-${size}`, size);
      const t = ms(await timeEach(Math.min(ITERATIONS, 100), 5, () => naive.turn(`naive-${size}`)));
      const ours = perSize.get(size)!;
      rows.push({
        case: `naive JSON rewrite at ${size} messages`,
        p50_ms: t.p50,
        p99_ms: t.p99,
        'p50 / floor': t.p50 / floor.p50,
        note: `Threadline is ${(t.p50 / ours).toFixed(1)}x faster${size === 10_000 ? ' (target >= 10x)' : ''}`,
      });
    }
    await naive.close();
  }
  await store.close();

  const total = WORKERS * TURNS_PER_WORKER;
  for (const [label, sessionFor] of [
    [`${WORKERS} processes on ${WORKERS} sessions`, (i: number) => `spread-${i}`],
    [`${WORKERS} processes on 1 session`, () => 'hot'],
  ] as const) {
    const elapsed = await runWorkers('../workers/turn-loop.ts', (i) => [db, sessionFor(i), String(TURNS_PER_WORKER)], WORKERS);
    rows.push({ case: `throughput: ${label}`, p50_ms: '', p99_ms: '', 'p50 / floor': '', note: `${(total / (elapsed / 1000)).toFixed(0)} turns/s` });
  }
  printTable(`History store: ${kind} (per turn = lock + load last 50 + append 2 messages; ${ITERATIONS} turns each)`, rows);
  return { floorP50: floor.p50 };
}
