import { describe, expect, it } from 'vitest';
import { decideAccess } from '../../src/runner/access-policy.js';
import { helpText, invocationText, isCommand, menuCommands, parseCommand } from '../../src/runner/commands.js';
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

  it('offer one menu, derived from the chat commands: every command a user picks, then /ask with its text', () => {
    const menu = menuCommands();
    expect(menu.map((c) => c.name)).toEqual(['new', 'status', 'stop', 'history', 'help', 'ask']);
    // The same descriptions as /help, except where a menu needs its own words.
    expect(menu.find((c) => c.name === 'new')?.description).toBe('start a fresh conversation (the old one is kept)');
    expect(helpText()).toContain('/new - start a fresh conversation (the old one is kept)');
    expect(menu.find((c) => c.name === 'help')?.description).toBe('list the commands');
    expect(menu.filter((c) => c.text).map((c) => c.name)).toEqual(['ask']);
    // What Telegram, Discord and Slack all accept.
    for (const command of menu) {
      expect(command.name).toMatch(/^[a-z0-9_]{1,32}$/);
      expect(command.description.length).toBeGreaterThanOrEqual(3);
      expect(command.description.length).toBeLessThanOrEqual(100);
    }
    // Every menu command but /ask is one the runner answers.
    expect(menu.filter((c) => !c.text).every((c) => parseCommand(`/${c.name}`) === c.name)).toBe(true);
  });

  it('turn a menu invocation into the message it stands for: /new, or the text of /ask', () => {
    const menu = menuCommands();
    expect(invocationText(menu, 'new')).toBe('/new');
    expect(invocationText(menu, 'STATUS', 'ignored')).toBe('/status');
    expect(invocationText(menu, 'ask', '  what is up?  ')).toBe('what is up?');
    expect(invocationText(menu, 'ask', '   ')).toBeUndefined();
    expect(invocationText(menu, 'weather')).toBeUndefined();
    expect(invocationText([], 'new')).toBeUndefined();
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
    // A platform's slash command (/ask hello) is the bot's command, whatever its text.
    expect(decideAccess(message({ text: 'hello', addressed: true, slashCommand: 'ask' }), { groupPolicy: 'command_only' })).toBe('answer');
    expect(decideAccess(message({ text: 'hello', slashCommand: 'ask' }), {})).toBe('answer');
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
