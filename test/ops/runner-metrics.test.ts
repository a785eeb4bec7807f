import { afterEach, describe, expect, it } from 'vitest';
import { LlmError } from '../../src/core/llm/chat-model.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { promRunnerMetrics } from '../../src/ops/prom-runner-metrics.js';
import type { RunnerMetrics } from '../../src/runner/runner-metrics.js';
import { eventually } from '../support/eventually.js';
import { LimitedPlatform, rateLimited, startRunnerWorld, type RunnerWorld } from '../runner/runner-world.js';

/** What the runner reported, in order. */
class RecordingMetrics implements RunnerMetrics {
  readonly turns: Array<{ outcome: string; seconds: number; entries: number }> = [];
  readonly llmCalls: Array<{ seconds: number; ok: boolean }> = [];
  readonly lockWaits: number[] = [];
  busy = 0;
  readonly budgetWaits: number[] = [];
  readonly pauses: string[] = [];
  readonly heldBack: Array<'edit' | 'deferred'> = [];
  turnEnded(outcome: string, seconds: number, entries: number): void {
    this.turns.push({ outcome, seconds, entries });
  }
  llmCall(seconds: number, ok: boolean): void {
    this.llmCalls.push({ seconds, ok });
  }
  lockWait(seconds: number): void {
    this.lockWaits.push(seconds);
  }
  sessionBusy(): void {
    this.busy++;
  }
  sendBudgetWait(seconds: number): void {
    this.budgetWaits.push(seconds);
  }
  sendPaused(limit: string): void {
    this.pauses.push(limit);
  }
  sendHeldBack(kind: 'edit' | 'deferred'): void {
    this.heldBack.push(kind);
  }
}

let world: RunnerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the runner reports its work to RunnerMetrics', () => {
  it('turns by fate with their duration, model calls by result, lock waits', async () => {
    const metrics = new RecordingMetrics();
    world = await startRunnerWorld({ metrics });
    world.model.steps.push({ text: 'slowish', delayMs: 120 });
    await world.platform.say('1', 'hello');
    await world.settled();
    expect(metrics.turns).toEqual([{ outcome: 'answered', seconds: expect.any(Number), entries: 1 }]);
    expect(metrics.turns[0].seconds).toBeGreaterThanOrEqual(0.1);
    expect(metrics.llmCalls).toEqual([{ seconds: expect.any(Number), ok: true }]);
    expect(metrics.llmCalls[0].seconds).toBeGreaterThanOrEqual(0.1);
    expect(metrics.lockWaits.length).toBeGreaterThanOrEqual(1);

    // A model that refuses the key: one failed call, and the message dead.
    world.model.steps.push({ error: new LlmError('LLM endpoint answered HTTP 401', { failure: 'status', status: 401 }) });
    await world.platform.say('2', 'anyone?');
    await world.settled();
    expect(metrics.turns.at(-1)).toEqual({ outcome: 'dead', seconds: expect.any(Number), entries: 1 });
    expect(metrics.llmCalls.at(-1)).toEqual({ seconds: expect.any(Number), ok: false });
  });

  it('a call cut short by /stop is no model call; the stopped turn and the /stop are turns', async () => {
    const metrics = new RecordingMetrics();
    world = await startRunnerWorld({ metrics });
    world.model.steps.push({ text: 'never shown', delayMs: 1_000 });
    await world.platform.say('1', 'take your time');
    await eventually('the model call', () => (world!.model.calls.length === 1 ? true : undefined), 5_000);
    await world.platform.say('1', '/stop');
    await world.settled();
    expect(metrics.turns.map((t) => t.outcome)).toEqual(['stopped', 'answered']);
    expect(metrics.llmCalls).toEqual([]);
  });

  it('a session another holder has locked is reported busy, then answered', async () => {
    const metrics = new RecordingMetrics();
    world = await startRunnerWorld({ metrics });
    let release!: () => void;
    const holding = world.store.withSessionLock(world.sessionOf('7'), () => new Promise<void>((resolve) => (release = resolve)));
    await world.platform.say('7', 'are you free?');
    await eventually('the session found busy', () => (metrics.busy > 0 ? true : undefined), 5_000);
    expect(metrics.turns).toEqual([]);
    release();
    await holding;
    await world.settled();
    expect(metrics.turns.map((t) => t.outcome)).toEqual(['answered']);
  });

  it('send budgets: waits of must-sends, 429 pauses by limit, edits left out and messages deferred', async () => {
    const metrics = new RecordingMetrics();
    const platform = new LimitedPlatform({ chat: { ratePerSec: 5, burst: 2 } });
    world = await startRunnerWorld({ metrics, platform, sendLimits: { maxWaitMs: 200 } });
    // A reply streamed far faster than 5 edits a second: some edits are left out, the final text goes.
    world.model.steps.push({ text: Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '), chunkMs: 10 });
    await world.platform.say('1', 'stream');
    await world.settled();
    expect(metrics.heldBack.filter((k) => k === 'edit').length).toBeGreaterThan(0);
    expect(metrics.budgetWaits.length).toBeGreaterThan(0);
    expect(metrics.pauses).toEqual([]);

    // A 429 longer than the send wait: the chat's budget paused, the message deferred, then answered.
    platform.rules.push({ op: 'send', fault: rateLimited(500), times: 1 });
    await world.platform.say('2', 'hi');
    await world.settled();
    expect(metrics.pauses).toEqual(['chat']);
    expect(metrics.heldBack).toContain('deferred');
    expect(platform.shown('2')).toEqual(['re: hi']);
  });

  it('the Prometheus implementation counts send budget waits, pauses and held-back sends', async () => {
    const registry = createMetrics({ defaultMetrics: false });
    const platform = new LimitedPlatform();
    world = await startRunnerWorld({ metrics: promRunnerMetrics(registry, 'scripted'), platform, stream: false });
    platform.rules.push({ op: 'send', fault: rateLimited(300), times: 1 });
    await world.platform.say('1', 'hi');
    await world.settled();
    const lines = (await registry.registry.metrics()).split('\n');
    expect(lines).toContain('threadline_send_pauses_total{queue="scripted",limit="chat"} 1');
    expect(lines).toContain('threadline_sends_held_back_total{queue="scripted",kind="edit"} 0');
    // The reply waited the pause out within its attempt (no deferral), and that wait was observed.
    expect(lines).toContain('threadline_sends_held_back_total{queue="scripted",kind="deferred"} 0');
    const waits = lines.find((l) => l.startsWith('threadline_send_budget_wait_seconds_count{queue="scripted"} '));
    expect(Number(waits?.split(' ')[1])).toBeGreaterThanOrEqual(2);
    const sum = lines.find((l) => l.startsWith('threadline_send_budget_wait_seconds_sum{queue="scripted"} '));
    expect(Number(sum?.split(' ')[1])).toBeGreaterThanOrEqual(0.25);
  });

  it('the Prometheus implementation counts turns, durations, model calls and dead letters per queue', async () => {
    const registry = createMetrics({ defaultMetrics: false });
    world = await startRunnerWorld({ metrics: promRunnerMetrics(registry, 'scripted') });
    await world.platform.say('1', 'one');
    await world.platform.say('2', 'two');
    await world.settled();
    world.model.steps.push({ error: new LlmError('LLM endpoint answered HTTP 401', { failure: 'status', status: 401 }) });
    await world.platform.say('3', 'three');
    await world.settled();
    const text = await registry.registry.metrics();
    const lines = text.split('\n');
    expect(lines).toContain('threadline_turns_total{queue="scripted",outcome="answered"} 2');
    expect(lines).toContain('threadline_turns_total{queue="scripted",outcome="dead"} 1');
    // Outcomes that did not happen are there at 0 from the start.
    expect(lines).toContain('threadline_turns_total{queue="scripted",outcome="deferred"} 0');
    expect(lines).toContain('threadline_turn_duration_seconds_count{queue="scripted",outcome="answered"} 2');
    expect(lines).toContain('threadline_llm_call_duration_seconds_count{queue="scripted",result="ok"} 2');
    expect(lines).toContain('threadline_llm_call_duration_seconds_count{queue="scripted",result="error"} 1');
    expect(lines).toContain('threadline_dead_letters_total{queue="scripted"} 1');
    // At least one lock taken per session (a session listed just before it was answered may be taken once more).
    const lockWaits = lines.find((l) => l.startsWith('threadline_session_lock_wait_seconds_count{queue="scripted"} '));
    expect(Number(lockWaits?.split(' ')[1])).toBeGreaterThanOrEqual(3);
    expect(lines).toContain('threadline_sessions_busy_total{queue="scripted"} 0');
  });
});
