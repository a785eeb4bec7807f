import { afterEach, describe, expect, it } from 'vitest';
import { parseSendLimit } from '../../src/runner/send-budget.js';
import { chatBudget, LimitedPlatform, rateLimited, startRunnerWorld, type RunnerWorld } from './runner-world.js';

/*
 * Replies paced by the platform's rate limits (SendBudget between the reply and the adapter), on a real SQLite store:
 * what reached the scripted platform, and when. The timings asserted are only what the budget guarantees.
 */

const fate = async (w: RunnerWorld, eventId: string) => (await w.store.inboxTimeline(`scripted:bot:${eventId}`))!;
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

let world: RunnerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('replies within the send budget', () => {
  it('streaming: edits the budget has no room for are left out, never queued; the final text is whole; no more calls than the budget allows', async () => {
    const platform = new LimitedPlatform();
    world = await startRunnerWorld({ platform });
    const text = words(40);
    // 40 words 15 ms apart: the model offers an edit every 15 ms for 600 ms, far more than 5 a second.
    world.model.steps.push({ text, chunkMs: 15 });
    const started = Date.now();
    await world.platform.say('1', 'stream please');
    await world.settled();
    expect(platform.shown('1')).toEqual([text]);
    const calls = platform.calls.filter((c) => c.chatId === '1');
    expect(calls[0]).toMatchObject({ op: 'send' });
    expect(calls.at(-1)).toMatchObject({ op: 'edit', text });
    // The burst, then 5 a second: over the turn and between any two calls.
    expect(calls.length).toBeLessThanOrEqual(2 + 5 * ((calls.at(-1)!.at - started) / 1000) + 1);
    expect(calls.length).toBeLessThan(20);
    for (let i = 0; i < calls.length; i++) {
      for (let j = i + 1; j < calls.length; j++) expect(j - i + 1).toBeLessThanOrEqual(2 + 5 * ((calls[j].at - calls[i].at) / 1000) + 1);
    }
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'done', attempts: 1 });
    console.log(`streaming 40 chunks under a 5/s burst 2 budget: ${calls.length} platform calls in ${calls.at(-1)!.at - started} ms`);
  });

  it('under pressure (the chat paused): no edit while streaming, the reply shown once, in full, when the pause ends', async () => {
    const platform = new LimitedPlatform();
    world = await startRunnerWorld({ platform });
    const pausedAt = Date.now();
    await world.store.pauseSendScope(chatBudget('1'), 800);
    const text = words(20);
    world.model.steps.push({ text, chunkMs: 15 });
    await world.platform.say('1', 'hello?');
    await world.settled();
    // One message, the whole reply, sent once the pause was over; nothing during it.
    expect(platform.calls.map((c) => [c.op, c.text])).toEqual([['send', text]]);
    expect(platform.calls[0].at - pausedAt).toBeGreaterThanOrEqual(800);
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'done', attempts: 1 });
  });

  it("a 429 with a short retry_after pauses the chat's budget for every worker; the reply waits it out within its attempt", async () => {
    const platform = new LimitedPlatform();
    world = await startRunnerWorld({ platform, stream: false });
    platform.rules.push({ op: 'send', fault: rateLimited(600), times: 1 });
    await world.platform.say('1', 'hi');
    // The pause is in the store, where every worker's next take finds it.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => platform.calls.length > 0 && (clearInterval(poll), resolve()), 5);
    });
    const taken = await world.store.takeSendBudget([{ key: chatBudget('1'), ratePerSec: 5, burst: 2 }]);
    expect(taken.waitMs).toBeGreaterThan(300);
    await world.settled();
    const [refused, sent] = platform.calls;
    expect(refused.failed).toMatch(/Too Many Requests/);
    expect(sent).toMatchObject({ op: 'send', text: 're: hi' });
    expect(sent.at - refused.at).toBeGreaterThanOrEqual(600);
    expect(platform.calls).toHaveLength(2);
    expect(platform.shown('1')).toEqual(['re: hi']);
    const { entry, attempts } = await fate(world, '1');
    expect(entry).toMatchObject({ status: 'done', attempts: 1 });
    expect(attempts).toHaveLength(1);
  });

  it('a 429 longer than the send wait: deferred past the pause, the attempt not counted, the reply generated once and delivered whole', async () => {
    const platform = new LimitedPlatform();
    // One attempt only: a counted rate-limited attempt would dead-letter the message.
    world = await startRunnerWorld({ platform, stream: false, maxAttempts: 1, sendLimits: { maxWaitMs: 200 } });
    platform.rules.push({ op: 'send', fault: rateLimited(700), times: 1 });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.model.calls).toEqual(['hi']);
    expect(platform.shown('1')).toEqual(['re: hi']);
    const [refused, sent] = platform.calls;
    expect(sent.at - refused.at).toBeGreaterThanOrEqual(700);
    const { entry, attempts } = await fate(world, '1');
    expect(entry).toMatchObject({ status: 'done', attempts: 1 });
    // Deferred (perhaps more than once, until the pause was over), each time with the attempt refunded.
    expect(attempts.at(-1)).toMatchObject({ attempt: 1, stage: 'committed' });
    expect(attempts.length).toBeGreaterThan(1);
    for (const held of attempts.slice(0, -1)) expect(held).toMatchObject({ attempt: 1, stage: 'delivering', errorClass: 'transient', error: expect.stringMatching(/Too Many Requests|rate limited/) });
    expect(world.logs.some((l) => l.rateLimited === true && l.msg === 'attempt failed for now; trying again later')).toBe(true);
  });

  it('commands and apologies take from the budget too; --no-send-limits takes nothing', async () => {
    const platform = new LimitedPlatform({ chat: { ratePerSec: 2, burst: 1 } });
    world = await startRunnerWorld({ platform, stream: false });
    const started = Date.now();
    await world.platform.say('1', '/help');
    await world.platform.say('1', 'hi');
    await world.settled();
    const [help, reply] = platform.calls;
    // One at once, the next half a second later (2 a second).
    expect(reply.at - Math.max(help.at, started)).toBeGreaterThanOrEqual(450);
    await world.close();

    const free = new LimitedPlatform({ chat: { ratePerSec: 0.1, burst: 1 } });
    world = await startRunnerWorld({ platform: free, stream: false, sendLimits: { enabled: false } });
    for (const text of ['a', 'b', 'c']) await world.platform.say('2', text);
    await world.settled();
    // At 1 send in 10 s these would still be waiting: nothing was paced.
    expect(free.shown('2')).toEqual(['re: a', 're: b', 're: c']);
  });

  it('limits are replaced by name; a name the platform does not have is warned about', async () => {
    const platform = new LimitedPlatform();
    world = await startRunnerWorld({ platform, stream: false, sendLimits: { limits: { chat: { ratePerSec: 1, burst: 1 }, group: { ratePerSec: 1, burst: 1 } } } });
    await world.platform.say('1', 'a');
    await world.platform.say('1', 'b');
    await world.settled();
    const [a, b] = platform.calls;
    expect(b.at - a.at).toBeGreaterThanOrEqual(900);
    expect(world.logs.find((l) => Array.isArray(l.unknown))).toMatchObject({ unknown: ['group'], known: 'chat' });
  });
});

describe('--send-limit', () => {
  it('reads <name>=<rate>/s or /min with an optional burst', () => {
    expect(parseSendLimit('private=1/s:3')).toEqual({ name: 'private', limit: { ratePerSec: 1, burst: 3 } });
    expect(parseSendLimit('group=20/min')).toEqual({ name: 'group', limit: { ratePerSec: 1 / 3, burst: 1 } });
    expect(parseSendLimit('bot=30/s')).toEqual({ name: 'bot', limit: { ratePerSec: 30, burst: 30 } });
    for (const bad of ['private', 'private=1', 'private=0/s', 'private=1/h', 'private=1/s:0', '=1/s']) expect(() => parseSendLimit(bad)).toThrow(TypeError);
  });
});
