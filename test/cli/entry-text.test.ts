import { describe, expect, it } from 'vitest';
import { entryText } from '../../src/cli/commands/inbox/entry-text.js';
import type { InboxRecord } from '../../src/store/types.js';

const record = (payload: unknown): InboxRecord => ({ id: 1, sessionId: 's', eventKey: 'k', queue: 'q', payload, status: 'refused', receivedAt: new Date(0), attempts: 0, redeliveries: 0 });

describe('inbox entry text', () => {
  it('is the text; a message without text shows what it held', () => {
    expect(entryText(record({ text: 'hello\nthere' }))).toBe('hello there');
    expect(entryText(record({ text: '', attachments: [{ kind: 'voice' }] }))).toBe('[voice]');
    expect(entryText(record({ text: '', unsupported: 'order' }))).toBe('[order]');
    expect(entryText(record({ text: '' }))).toBe('');
    expect(entryText(record(null))).toBe('');
    // Versioned, or past reading for a worker: what text it has is still shown.
    expect(entryText(record({ v: 1, text: 'hi' }))).toBe('hi');
    expect(entryText(record({ v: 7, text: 'from a newer release' }))).toBe('from a newer release');
    expect(entryText(record('garbage'))).toBe('');
  });
});
