import { describe, expect, it } from 'vitest';
import { readInboxPayload, toInboxPayload, unreadablePayload, viewInboxPayload } from '../../src/runner/inbox-payload.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { inbound } from './runner-world.js';

/** A message with every part the payload carries: media, items, thread, reply target. */
const full: InboundMessage = {
  ...inbound('42', 'e1', 'look\n[location 52.52, 13.4]'),
  threadId: 't7',
  userName: 'Ann',
  messageId: 'm9',
  isPrivate: false,
  attachments: [{ kind: 'image', mimeType: 'image/png', platformFileId: 'f1', size: 1200, width: 10, height: 20 }],
  items: [
    { kind: 'location', latitude: 52.52, longitude: 13.4, name: 'Mitte' },
    { kind: 'choice', via: 'callback_query', title: 'Yes', payload: 'y' },
  ],
  replyTarget: { chatId: '42', threadId: 't7', replyToMessageId: 'm9' },
  slashCommand: 'ask',
};

const reason = (raw: unknown) => {
  const read = readInboxPayload(raw);
  return read.ok ? undefined : read.reason;
};

describe('the inbox payload', () => {
  it('is the message with its version beside it, and reads back as the same message', () => {
    const payload = toInboxPayload(full);
    expect(payload).toEqual({ v: 1, ...full });
    // What the store gives back is JSON.
    expect(readInboxPayload(JSON.parse(JSON.stringify(payload)))).toEqual({ ok: true, version: 1, message: full });
  });

  it('reads an entry of the release before versions (no `v`) as version 0, the same message', () => {
    expect(readInboxPayload(JSON.parse(JSON.stringify(full)))).toEqual({ ok: true, version: 0, message: full });
  });

  it('ignores fields it does not know (a later release may add optional ones without a new version)', () => {
    const read = readInboxPayload({ ...toInboxPayload(full), mood: 'cheerful', replyTarget: { ...full.replyTarget, ephemeral: true } });
    expect(read).toEqual({ ok: true, version: 1, message: full });
  });

  it('refuses a newer version, telling the operator to upgrade, and keeps where the sender can be told', () => {
    expect(readInboxPayload({ ...toInboxPayload(full), v: 7 })).toEqual({
      ok: false,
      reason: 'unreadable inbox payload: version 7 is newer than this Threadline (1); upgrade the worker',
      replyTarget: full.replyTarget,
    });
    expect(reason({ ...toInboxPayload(full), v: 'two' })).toBe('unreadable inbox payload: version "two" is not a version number');
  });

  it('names the field that does not parse: renamed, missing, of the wrong type, or a kind it has no words for', () => {
    const { chatId, ...renamed } = toInboxPayload(full);
    expect(readInboxPayload({ ...renamed, chat: chatId })).toEqual({
      ok: false,
      reason: 'unreadable inbox payload: version 1, field chatId: expected string, received undefined',
      replyTarget: full.replyTarget,
    });
    expect(reason({ ...full, isPrivate: 'no' })).toBe('unreadable inbox payload: unversioned, field isPrivate: expected boolean, received string');
    expect(reason({ ...full, attachments: [{ kind: 'hologram' }] })).toMatch(/^unreadable inbox payload: unversioned, field attachments\.0\.kind: /);
    expect(reason({ ...full, items: [{ kind: 'location', latitude: '52' }] })).toMatch(/^unreadable inbox payload: unversioned, field items\.0\.latitude: expected number/);
  });

  it('tells the sender at their chat when only the reply target is broken, and nowhere when nothing says where', () => {
    expect(readInboxPayload({ ...full, replyTarget: { chat: '42' } })).toMatchObject({ ok: false, replyTarget: { chatId: '42' } });
    expect(readInboxPayload({ text: 'hi' })).toEqual({ ok: false, reason: 'unreadable inbox payload: unversioned, field platform: expected string, received undefined' });
    expect(readInboxPayload('hello')).toEqual({ ok: false, reason: 'unreadable inbox payload: a string, not an object' });
    expect(readInboxPayload(null)).toEqual({ ok: false, reason: 'unreadable inbox payload: null, not an object' });
    expect(readInboxPayload([full])).toEqual({ ok: false, reason: 'unreadable inbox payload: an array, not an object' });
  });

  it('shows what it can of any payload for display, with the reason when a worker cannot read it', () => {
    expect(viewInboxPayload(toInboxPayload({ ...full, text: '', unsupported: 'order' }))).toEqual({ text: '', held: ['image', 'order'] });
    expect(viewInboxPayload({ ...full, v: 9 })).toEqual({ text: full.text, held: ['image'], unreadable: expect.stringMatching(/version 9 is newer/) });
    expect(viewInboxPayload(42)).toEqual({ held: [], unreadable: 'unreadable inbox payload: a number, not an object' });
    // An event refused before it became a message is never read by a worker: nothing is wrong with it.
    expect(unreadablePayload({ status: 'refused', payload: { platform: 'scripted', eventId: 'x' } })).toBeUndefined();
    expect(unreadablePayload({ status: 'dead', payload: { platform: 'scripted', eventId: 'x' } })).toMatch(/field botId/);
    expect(unreadablePayload({ status: 'pending', payload: toInboxPayload(full) })).toBeUndefined();
  });
});
