import { describe, expect, it } from 'vitest';
import { generateSessionId, sessionIds } from '../../src/core/session-ids.js';
import { assertValidSessionId } from '../../src/store/session-id.js';

describe('session ids', () => {
  it('generateSessionId: s- and 16 base36 characters, different every time', () => {
    const ids = Array.from({ length: 1000 }, generateSessionId);
    for (const id of ids) expect(id).toMatch(/^s-[0-9a-z]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('perUser and perConversation', () => {
    expect(sessionIds.perUser('123')).toBe('user-123-main');
    expect(sessionIds.perConversation()).toMatch(/^c-[0-9a-z]{10}$/);
    expect(sessionIds.perConversation()).not.toBe(sessionIds.perConversation());
    expect(() => sessionIds.perUser('')).toThrow(/non-empty/);
  });

  it('platformChat escapes every part, so crafted ids cannot collide', () => {
    expect(sessionIds.platformChat('telegram', 42, -100123, 7)).toBe('telegram:42:-100123:7');
    const crafted = [
      sessionIds.platformChat('telegram', 'a:b', 'c'),
      sessionIds.platformChat('telegram', 'a', 'b:c'),
      sessionIds.platformChat('telegram', 'a', 'b', 'c'),
      sessionIds.platformChat('telegram', 'a%3Ab', 'c'),
      sessionIds.platformChat('telegram:a', 'b', 'c'),
    ];
    expect(new Set(crafted).size).toBe(crafted.length);
    for (const id of crafted) assertValidSessionId(id);
    expect(sessionIds.platformChat('slack', 'T1', 'C 2\n')).toBe('slack:T1:C%202%0A');
    expect(() => sessionIds.platformChat('discord')).toThrow(/at least one id part/);
  });
});
