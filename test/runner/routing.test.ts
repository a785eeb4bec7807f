import { describe, expect, it } from 'vitest';
import { decideAccess } from '../../src/runner/access-policy.js';
import { isCommand, parseCommand } from '../../src/runner/commands.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { eventKeyFor, sessionKeyFor } from '../../src/runner/session-key.js';

const message = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  platform: 'telegram',
  botId: '42',
  chatId: '-100',
  userId: '7',
  eventId: '1001',
  text: 'hello',
  isPrivate: false,
  addressed: false,
  replyTarget: { chatId: '-100' },
  ...over,
});

describe('session keys', () => {
  it('map chats, topics and (with the user scope) group members to sessions', () => {
    expect(sessionKeyFor(message(), 'chat')).toBe('telegram:42:-100');
    expect(sessionKeyFor(message({ threadId: '5' }), 'chat')).toBe('telegram:42:-100:5');
    expect(sessionKeyFor(message(), 'user')).toBe('telegram:42:-100:u7');
    expect(sessionKeyFor(message({ isPrivate: true }), 'user')).toBe('telegram:42:-100');
    expect(sessionKeyFor(message({ sessionId: 'console-abc' }), 'chat')).toBe('console-abc');
  });

  it('escape platform ids so a crafted id cannot reach another session', () => {
    const crafted = sessionKeyFor(message({ chatId: '-100:5' }), 'chat');
    const topic = sessionKeyFor(message({ chatId: '-100', threadId: '5' }), 'chat');
    expect(crafted).toBe('telegram:42:-100%3A5');
    expect(crafted).not.toBe(topic);
    expect(eventKeyFor(message())).toBe('telegram:42:1001');
    expect(eventKeyFor(message({ botId: '43' }))).not.toBe(eventKeyFor(message()));
  });
});

describe('commands', () => {
  it('parse our commands, with a bot name or arguments, case-insensitively', () => {
    expect(parseCommand('/new')).toBe('new');
    expect(parseCommand('/NEW@MyBot please')).toBe('new');
    expect(parseCommand(' /status')).toBe('status');
    expect(parseCommand('/newish')).toBeUndefined();
    expect(parseCommand('say /new')).toBeUndefined();
    expect(isCommand('/weather now')).toBe(true);
    expect(isCommand('hello /new')).toBe(false);
  });
});

describe('access', () => {
  it('answers private chats, and in groups what the policy asks for', () => {
    expect(decideAccess(message({ isPrivate: true }), {})).toBe('answer');
    expect(decideAccess(message(), {})).toBe('ignore');
    expect(decideAccess(message({ addressed: true }), {})).toBe('answer');
    expect(decideAccess(message({ text: '/status' }), { groupPolicy: 'command_only' })).toBe('answer');
    expect(decideAccess(message({ addressed: true }), { groupPolicy: 'command_only' })).toBe('ignore');
    expect(decideAccess(message(), { groupPolicy: 'respond_all' })).toBe('answer');
  });

  it('in groups counts only Threadline\'s commands as addressed: another bot\'s /report is not', () => {
    expect(decideAccess(message({ text: '/report spam' }), {})).toBe('ignore');
    expect(decideAccess(message({ text: '/report spam' }), { groupPolicy: 'command_only' })).toBe('ignore');
    expect(decideAccess(message({ text: '/help' }), {})).toBe('answer');
    // The adapter knows when a command names this bot (Telegram's /anything@thisbot): it comes addressed.
    expect(decideAccess(message({ text: '/weather@thisbot', addressed: true }), {})).toBe('answer');
    expect(decideAccess(message({ text: '/report', isPrivate: true }), {})).toBe('answer');
  });

  it('refuses senders outside the allowlist, by user or by chat, and ignores before refusing', () => {
    expect(decideAccess(message({ isPrivate: true }), { allow: ['8'] })).toBe('refuse');
    expect(decideAccess(message({ isPrivate: true }), { allow: ['7'] })).toBe('answer');
    expect(decideAccess(message({ addressed: true }), { allow: ['-100'] })).toBe('answer');
    expect(decideAccess(message(), { allow: ['8'] })).toBe('ignore');
  });
});
