import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import type { HistoryStore, SendBudgetScope } from '../../../src/store/types.js';
import { killAll, spawnTs } from '../../support/processes.js';
import { BACKENDS, storesClosedAfterEach } from '../backends.js';

/*
 * The store's send budgets: token buckets every process shares. Waits are checked against what the bucket itself
 * guarantees (a wait is never longer than a token takes to refill, and a take never succeeds early), with the
 * scheduling slack of a loaded machine allowed for on the late side only.
 */

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const scope = (key: string, ratePerSec: number, burst: number): SendBudgetScope => ({ key, ratePerSec, burst });

/** Takes until one is refused; returns how many were granted and the wait of the refusal. */
async function drain(store: HistoryStore, scopes: SendBudgetScope[], most = 100): Promise<{ granted: number; waitMs: number }> {
  for (let granted = 0; granted < most; granted++) {
    const { waitMs } = await store.takeSendBudget(scopes);
    if (waitMs > 0) return { granted, waitMs };
  }
  throw new Error(`more than ${most} takes granted`);
}

afterEach(() => killAll());

describe.each(BACKENDS)('$name send budgets', ({ freshDb }) => {
  const openForTest = storesClosedAfterEach();
  const fresh = () => openForTest(freshDb('budget'));

  it('a new scope holds its burst; then it refills at its rate, and the wait says when the next token is there', async () => {
    const store = await fresh();
    const chat = scope('chat:1', 4, 3);
    const first = await drain(store, [chat]);
    expect(first.granted).toBe(3);
    // One token takes 250 ms at 4/s: the wait is at most that, and taking before it has passed is refused.
    expect(first.waitMs).toBeGreaterThan(150);
    expect(first.waitMs).toBeLessThanOrEqual(250);
    await sleep(first.waitMs);
    expect((await store.takeSendBudget([chat])).waitMs).toBe(0);
    const second = await store.takeSendBudget([chat]);
    expect(second.waitMs).toBeGreaterThan(150);
    // A quiet spell refills up to the burst, not beyond.
    await sleep(1_100);
    expect((await drain(store, [chat])).granted).toBe(3);
    // Another key is another budget.
    expect((await drain(store, [scope('chat:2', 4, 2)])).granted).toBe(2);
  });

  it('takes from every scope or from none: the wait is that of the emptiest', async () => {
    const store = await fresh();
    // Slow enough to refill no token while the drain below runs on a busy machine (one takes 200 ms).
    const bot = scope('bot', 5, 5);
    const chat = scope('chat', 2, 1);
    expect((await store.takeSendBudget([bot, chat])).waitMs).toBe(0);
    const refused = await store.takeSendBudget([bot, chat]);
    expect(refused.waitMs).toBeGreaterThan(300);
    expect(refused.waitMs).toBeLessThanOrEqual(500);
    // The refusal took nothing from the bot's budget: four of its five tokens are left.
    expect((await drain(store, [bot])).granted).toBe(4);
    // A scope named twice counts once, with the strictest numbers.
    expect((await drain(store, [scope('twice', 10, 3), scope('twice', 10, 2)])).granted).toBe(2);
    expect(await store.takeSendBudget([])).toEqual({ waitMs: 0 });
  });

  it('a pause stops every take of its scope until it ends (a shorter one does not cut it), then one token and the rate', async () => {
    const store = await fresh();
    const chat = scope('paused', 5, 4);
    expect((await store.takeSendBudget([chat])).waitMs).toBe(0);
    await store.pauseSendScope('paused', 600);
    await store.pauseSendScope('paused', 100);
    const during = await store.takeSendBudget([chat, scope('other', 5, 4)]);
    expect(during.waitMs).toBeGreaterThan(450);
    expect(during.waitMs).toBeLessThanOrEqual(600);
    // Nothing was taken from the other scope while this one was paused.
    expect((await drain(store, [scope('other', 5, 4)])).granted).toBe(4);
    await sleep(during.waitMs);
    // One send at the pause's end, not a burst: the next waits for the rate (200 ms at 5/s).
    expect((await store.takeSendBudget([chat])).waitMs).toBe(0);
    const after = await store.takeSendBudget([chat]);
    expect(after.waitMs).toBeGreaterThan(100);
    expect(after.waitMs).toBeLessThanOrEqual(200);
    // A pause of a scope never taken from creates it, paused.
    await store.pauseSendScope('new', 300);
    expect((await store.takeSendBudget([scope('new', 5, 4)])).waitMs).toBeGreaterThan(150);
  });

  it('refuses scopes that are not budgets, and forgets idle ones', async () => {
    const store = await fresh();
    await expect(store.takeSendBudget([scope('', 1, 1)])).rejects.toThrow(TypeError);
    await expect(store.takeSendBudget([scope('k', 0, 1)])).rejects.toThrow(/ratePerSec/);
    await expect(store.takeSendBudget([scope('k', 1, 0.5)])).rejects.toThrow(/burst/);
    await expect(store.pauseSendScope('k', Number.NaN)).rejects.toThrow(TypeError);
    await store.takeSendBudget([scope('idle', 1, 1)]);
    await store.pauseSendScope('held', 60_000);
    await sleep(60);
    // Only the idle one goes: a pause in force is kept.
    expect(await store.purgeSendBudgets(50)).toBe(1);
    expect((await store.takeSendBudget([scope('idle', 1, 1)])).waitMs).toBe(0);
    expect((await store.takeSendBudget([scope('held', 1, 1)])).waitMs).toBeGreaterThan(50_000);
  });

  it('many concurrent takes never exceed the budget', async () => {
    const store = await fresh();
    const budget = scope('hot', 20, 5);
    const started = Date.now();
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() - started < 1_500) {
          const { waitMs } = await store.takeSendBudget([budget]);
          if (waitMs === 0) granted.push(Date.now());
          else await sleep(waitMs);
        }
      }),
    );
    expectWithinBudget(granted, started, budget);
  });

  it('two processes taking from one budget together never exceed it', async () => {
    const db = freshDb('budget2');
    // Migrated once here, so the two processes do not race to create the schema.
    await (await openStore(db)).close();
    const budget = scope('shared', 20, 5);
    const takers = [0, 1].map(() => spawnTs(fixture('budget-taker.ts'), [db, budget.key, String(budget.ratePerSec), String(budget.burst), '2000', '4'], { openStdin: true }));
    await Promise.all(takers.map((p) => p.waitForLine(/^ready$/, 60_000)));
    for (const p of takers) p.child.stdin!.end('go\n');
    const exits = await Promise.all(takers.map((p) => p.exited));
    expect(exits.map((e) => e.code), takers.map((p) => p.stderrText).join('\n')).toEqual([0, 0]);
    const reports = takers.map((p) => JSON.parse(p.stdoutLines.at(-1)!) as { started: number; granted: number[]; waits: number });
    // Both took part, and both were told to wait: they shared one budget.
    for (const report of reports) {
      expect(report.granted.length).toBeGreaterThan(0);
      expect(report.waits).toBeGreaterThan(0);
    }
    const granted = reports.flatMap((r) => r.granted).sort((a, b) => a - b);
    expectWithinBudget(granted, Math.min(...reports.map((r) => r.started)), budget);
    console.log(`send budget, 2 processes × 4 loops at ${budget.ratePerSec}/s burst ${budget.burst}: ${granted.length} sends in ${granted.at(-1)! - granted[0]} ms (${reports.map((r) => r.granted.length).join(' + ')})`);
  });
});

/**
 * No more sends than the bucket allows: overall (burst + rate × time), and in every window between two grants.
 * The times are taken when each take returned, up to a scheduling delay after the store granted it: that delay
 * (250 ms on a loaded machine) widens each window on the early side. Most sends also got through: the budget was
 * used, not merely never exceeded.
 */
function expectWithinBudget(granted: number[], started: number, budget: SendBudgetScope): void {
  const slackSec = 0.25;
  const span = (granted.at(-1)! - started) / 1000;
  expect(granted.length).toBeLessThanOrEqual(Math.floor(budget.burst + budget.ratePerSec * (span + slackSec)));
  expect(granted.length).toBeGreaterThanOrEqual(Math.floor((budget.burst + budget.ratePerSec * span) / 2));
  let worst = 0;
  for (let i = 0; i < granted.length; i++) {
    for (let j = i; j < granted.length; j++) {
      const allowed = budget.burst + budget.ratePerSec * ((granted[j] - granted[i]) / 1000 + slackSec);
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  expect(worst).toBeLessThanOrEqual(0);
}
