import { afterEach, describe, expect, it } from 'vitest';
import { LlmError } from '../../src/core/llm/chat-model.js';
import { inbound, startRunnerWorld, type RunnerWorld } from './runner-world.js';

/** The classification table, fault by fault: what the user sees, what happens to the message, and that the chat goes on. */

let world: RunnerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const transientLlm = (retryAfterMs?: number) => new LlmError('LLM endpoint answered HTTP 503', { failure: 'status', status: 503, retryAfterMs });
const fate = async (w: RunnerWorld, eventId: string) => (await w.store.inboxTimeline(`scripted:bot:${eventId}`))!;

describe('the runner gives every message a fate', () => {
  it('LLM 5xx for a while: retried within the attempt, answered once, the entry done on its first attempt', async () => {
    world = await startRunnerWorld();
    world.model.steps.push({ error: transientLlm() }, { error: transientLlm(30) });
    await world.platform.say('1', 'hello');
    await world.settled();
    expect(world.model.calls).toEqual(['hello', 'hello', 'hello']);
    expect(world.platform.shown('1')).toEqual(['re: hello']);
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('LLM down past the retry window: dead-lettered, the user told once, the next message answered', async () => {
    world = await startRunnerWorld({ llmRetryWindowMs: 150 });
    for (let i = 0; i < 20; i++) world.model.steps.push({ error: transientLlm() });
    await world.platform.say('1', 'anyone?');
    await world.settled();
    world.model.steps.length = 0;
    await world.platform.say('1', 'still there?');
    await world.settled();
    const shown = world.platform.shown('1');
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/^⚠️ Sorry, I could not answer your message: the language model did not answer/);
    expect(shown[1]).toBe('re: still there?');
    const dead = await fate(world, '1');
    expect(dead.entry).toMatchObject({ status: 'dead', lastError: expect.stringContaining('HTTP 503') });
    expect(dead.notices.map((n) => n.text)).toEqual([shown[0]]);
    expect(dead.attempts.at(-1)).toMatchObject({ stage: 'generating', errorClass: 'transient' });
  });

  it('LLM 401: dead at once without a retry, the user told in plain words', async () => {
    world = await startRunnerWorld();
    world.model.steps.push({ error: new LlmError('LLM endpoint answered HTTP 401 (bad key); the API key was refused: check OPENAI_API_KEY', { failure: 'status', status: 401 }) });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.model.calls).toEqual(['hi']);
    expect(world.platform.shown('1')).toEqual([expect.stringMatching(/refused the request \(it is not set up correctly/)]);
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'dead', attempts: 1 });
  });

  it('a slow model: the user is told once that the answer will follow, then gets it', async () => {
    world = await startRunnerWorld({ slowNoteAfterMs: 50 });
    world.model.steps.push({ text: 'finally', delayMs: 250 });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.platform.shown('1')).toEqual([expect.stringMatching(/^⏳ The model is slow/), 'finally']);
    expect((await fate(world, '1')).notices).toHaveLength(1);
  });

  it('blocked by the user: dead without an apology; messages queued behind it skip the model; a later message is tried', async () => {
    world = await startRunnerWorld();
    world.platform.rules.push({ op: 'send', text: /first/, fault: { kind: 'unreachable', reason: 'Forbidden: bot was blocked by the user' } });
    // Two messages before the block is known; the first hits it.
    world.model.steps.push({ text: 'first answer', delayMs: 100 });
    await world.platform.say('1', 'one');
    await world.platform.say('1', 'two');
    await world.settled();
    expect(world.model.calls).toEqual(['one']);
    expect(world.platform.shown('1')).toEqual([]);
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'dead', lastError: 'Forbidden: bot was blocked by the user' });
    expect((await fate(world, '2')).entry).toMatchObject({ status: 'dead', lastError: expect.stringMatching(/unreachable: Forbidden/) });
    // The user writes again (unblocked): answered.
    await world.platform.say('1', 'three');
    await world.settled();
    expect(world.model.calls).toEqual(['one', 'three']);
    expect(world.platform.shown('1')).toEqual(['re: three']);
  });

  it('platform 5xx on delivery: deferred, and the next attempt delivers the same reply without asking the model again', async () => {
    world = await startRunnerWorld({ stream: false });
    world.platform.rules.push({ op: 'send', fault: { kind: 'transient', reason: 'Internal Server Error' }, times: 1 });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.model.calls).toEqual(['hi']);
    expect(world.platform.shown('1')).toEqual(['re: hi']);
    const done = await fate(world, '1');
    expect(done.entry).toMatchObject({ status: 'done', attempts: 2 });
    expect(done.attempts[0]).toMatchObject({ stage: 'delivering', errorClass: 'transient', error: 'Internal Server Error' });
  });

  it('platform 5xx on every attempt: dead after 3 attempts, the model asked once, the user told', async () => {
    world = await startRunnerWorld();
    world.platform.rules.push({ op: 'send', text: /^re:/, fault: { kind: 'transient', reason: 'Bad Gateway' } });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.model.calls).toEqual(['hi']);
    expect(world.platform.shown('1')).toEqual([expect.stringMatching(/could not be delivered/)]);
    expect((await fate(world, '1')).entry).toMatchObject({ status: 'dead', attempts: 3 });
  });

  it('a 400 on content: sent again as plain text; refused again: dead with the user told', async () => {
    world = await startRunnerWorld();
    world.platform.formatText = (text) => `<b>${text}</b>`;
    world.platform.rules.push({ op: 'send', text: /^<b>/, fault: { kind: 'content', reason: "Bad Request: can't parse entities" } });
    await world.platform.say('1', 'hi');
    await world.settled();
    expect(world.platform.shown('1')).toEqual(['re: hi']);
    expect((await fate(world, '1')).entry.status).toBe('done');

    world.platform.rules.push({ op: 'send', text: /^re: again/, fault: { kind: 'content', reason: 'Bad Request: message is too long' } });
    await world.platform.say('1', 'again');
    await world.settled();
    expect(world.platform.shown('1').at(-1)).toMatch(/could not be delivered/);
    expect((await fate(world, '2')).entry).toMatchObject({ status: 'dead', attempts: 1 });
  });

  it('an edit the platform refuses becomes a new message', async () => {
    // An earlier attempt posted part of the reply and died; that message is gone since.
    world = await startRunnerWorld({}, async ({ store }) => {
      const { id } = await store.enqueueInbox({ sessionId: 'scripted:bot:1', eventKey: 'scripted:bot:e1', queue: 'scripted', payload: inbound('1', 'e1', 'hi') });
      await store.withSessionLock('scripted:bot:1', async (s) => {
        await s.claimInbox(1, 'crashed:1');
        await s.recordReplyPart(id!, 0, 'gone');
      });
    });
    world.platform.rules.push({ op: 'edit', fault: { kind: 'edit_refused', reason: 'Bad Request: message to edit not found' } });
    await world.settled();
    expect(world.platform.calls.map((c) => [c.op, c.failed ?? 'ok'])).toEqual([['edit', 'Bad Request: message to edit not found'], ['send', 'ok']]);
    expect(world.platform.shown('1')).toEqual(['re: hi']);
    expect((await fate(world, 'e1')).replyParts).toEqual([{ part: 0, platformMessageId: 'm1' }]);
  });

  it('a message whose attempts all died with their worker is dead-lettered without asking the model', async () => {
    world = await startRunnerWorld({}, async ({ store }) => {
      await store.enqueueInbox({ sessionId: 'scripted:bot:1', eventKey: 'scripted:bot:crash', queue: 'scripted', payload: inbound('1', 'crash', 'poison') });
      for (let i = 0; i < 3; i++) await store.withSessionLock('scripted:bot:1', (s) => s.claimInbox(1, 'crashed:1'));
    });
    await world.settled();
    expect(world.model.calls).toEqual([]);
    expect(world.platform.shown('1')).toEqual([expect.stringMatching(/went wrong 3 times in a row/)]);
    expect((await fate(world, 'crash')).entry).toMatchObject({ status: 'dead', attempts: 4 });
  });

  it('input that cannot be stored as is: NUL and lone surrogates made storable and answered; unusable ids refused, never retried', async () => {
    world = await startRunnerWorld();
    await world.platform.say('1', 'nul\u0000here \ud800 end');
    await world.settled();
    expect(world.model.calls).toEqual(['nulhere \ufffd end']);
    const refused = await world.platform.say('x'.repeat(600), 'long chat id');
    expect(refused.duplicate).toBe(false);
    await world.settled();
    expect(world.model.calls).toHaveLength(1);
    const [record] = await world.store.listInbox({ status: 'refused' });
    expect(record.lastError).toMatch(/chatId is 600 characters long/);
  });

  it('logs one info line per turn, and every line about a message names its inbox entry and session', async () => {
    world = await startRunnerWorld();
    await world.platform.say('1', 'hi');
    await world.settled();
    const turnLines = world.logs.filter((l) => l.level === 30 && String(l.msg).startsWith('turn '));
    expect(turnLines).toEqual([expect.objectContaining({ msg: 'turn answered', sessionId: 'scripted:bot:1', inbox: [expect.any(Number)], entries: 1, outcome: 'answered' })]);
    const stages = world.logs.filter((l) => l.level === 20 && Array.isArray(l.inbox)).map((l) => l.msg);
    expect(stages).toEqual(['claimed', 'generating', 'delivering']);
  });

  it('a message with nothing usable (a voice message): refused once with a plain reply, never a model call, a redelivery told nothing', async () => {
    world = await startRunnerWorld();
    const voice = { ...inbound('1', 'v1', ''), attachments: [{ kind: 'voice' as const, mimeType: 'audio/ogg', platformFileId: 'file-1' }] };
    await world.runner.receive(voice);
    expect(await world.runner.receive(voice)).toEqual({ duplicate: true });
    await world.runner.receive({ ...inbound('1', 'o1', ''), unsupported: 'order' });
    await world.settled();
    expect(world.model.calls).toEqual([]);
    expect(world.platform.shown('1')).toEqual([
      "Sorry, I can't open voice messages yet. Please send text (a caption on a photo or file works too).",
      "Sorry, I can't read this kind of message yet. Please send text (a caption on a photo or file works too).",
    ]);
    const refused = await fate(world, 'v1');
    expect(refused.entry).toMatchObject({ status: 'refused', lastError: 'unsupported content: voice', redeliveries: 1 });
    expect((refused.entry.payload as { attachments: unknown[] }).attachments).toEqual([{ kind: 'voice', mimeType: 'audio/ogg', platformFileId: 'file-1' }]);
    expect(world.logs.filter((l) => l.msg === 'message refused').map((l) => [l.level, l.content])).toEqual([
      [30, 'voice'],
      [30, 'order'],
    ]);
  });

  it('a caption is the text, the model told of the media it cannot see; a group photo not for the bot is ignored', async () => {
    world = await startRunnerWorld();
    const photo = { kind: 'image' as const, mimeType: 'image/jpeg', platformFileId: 'p1' };
    await world.runner.receive({ ...inbound('1', 'c1', 'what is this?'), attachments: [photo] });
    await world.runner.receive({ ...inbound('-5', 'g1', ''), isPrivate: false, addressed: false, attachments: [photo] });
    await world.settled();
    expect(world.model.calls).toEqual(['[The user attached an image, which you cannot see.]\nwhat is this?']);
    expect(world.platform.shown('-5')).toEqual([]);
    expect(await world.store.inboxTimeline('scripted:bot:g1')).toBeNull();
  });
});
