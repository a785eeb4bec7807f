import { invocationText, type MenuCommand } from '../../src/runner/commands.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { UnusableEventError } from '../shared/unusable-event.js';
import type { SlackIdentity } from './normalize-event.js';

/** The slash command's name when none is configured. */
export const DEFAULT_SLASH_COMMAND = '/threadline';

/** What Slack accepts as a command's name: a slash, then up to 31 lower-case characters without spaces. */
const SLASH_COMMAND_NAME = /^\/[\p{Ll}\p{N}_-]{1,31}$/u;

export function isSlashCommandName(name: string): boolean {
  return SLASH_COMMAND_NAME.test(name);
}

/** The fields of a slash command's payload (form-encoded over HTTP, JSON over Socket Mode) that the bot reads. */
export interface SlashCommandPayload {
  command?: unknown;
  text?: unknown;
  channel_id?: unknown;
  user_id?: unknown;
  user_name?: unknown;
  trigger_id?: unknown;
}

/**
 * The message a slash command's text stands for, from the runner's menu: `/threadline new` → `/new` (a command word
 * alone; `/threadline help me write` is a question); `/threadline ask <text>` or `/threadline <text>` → the text;
 * `/threadline` alone → `/help`. Undefined when there is nothing to send (`/threadline ask` with no text, or an empty
 * command while the runner reads no commands).
 */
export function slashCommandText(rawText: string, commands: readonly MenuCommand[]): string | undefined {
  const text = decodeEntities(rawText).trim();
  if (text === '') return invocationText(commands, 'help');
  const [, head, tail] = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
  // `/threadline /new` is `/threadline new`.
  const word = head.replace(/^\//, '').toLowerCase();
  const rest = tail.trim();
  const command = commands.find((candidate) => candidate.name === word);
  if (command?.text) return invocationText(commands, command.name, rest);
  if (command && rest === '') return invocationText(commands, command.name);
  return text;
}

/**
 * One line for those who typed the command wrong: what it takes, from the runner's menu. Slack reads `<…>` in a
 * message as a link or a mention, so the placeholders are escaped.
 */
export function slashCommandUsage(name: string, commands: readonly MenuCommand[]): string {
  const words = commands.filter((command) => !command.text).map((command) => command.name);
  const ask = commands.find((command) => command.text);
  return [
    `Usage: ${name} &lt;message&gt;`,
    ...(ask ? [`${name} ${ask.name} &lt;${ask.text!.name}&gt;`] : []),
    ...(words.length > 0 ? [`${name} ${words.join('|')}`] : []),
  ].join(', ');
}

/**
 * A slash command as the runner's `InboundMessage`. Slack gives it no event id and never sends it again; its
 * `trigger_id` is unique to the invocation, so it is the event id. It belongs to the session of its channel (a DM, or
 * the channel itself: a slash command is not written in a thread), and the answer goes to that channel, at its top
 * level. Throws UnusableEventError when the channel, user or trigger id is missing.
 */
export function normalizeSlashCommand(payload: SlashCommandPayload, me: SlackIdentity, text: string): InboundMessage {
  const channel = str(payload.channel_id);
  const user = str(payload.user_id);
  const triggerId = str(payload.trigger_id);
  const command = str(payload.command) ?? 'slash command';
  if (!channel || !user || !triggerId) {
    const missing = Object.entries({ channel_id: channel, user_id: user, trigger_id: triggerId }).flatMap(([field, value]) => (value ? [] : [field]));
    throw new UnusableEventError({ ...(triggerId ? { eventId: triggerId } : {}), reason: `${command} without ${missing.join(', ')}` });
  }
  // DM channel ids start with D.
  const isPrivate = channel.startsWith('D');
  return {
    platform: 'slack',
    botId: me.teamId,
    chatId: channel,
    userId: user,
    eventId: triggerId,
    text,
    isPrivate,
    addressed: true,
    slashCommand: command,
    replyTarget: { chatId: channel },
  };
}

/** Slack sends `&`, `<`, `>` typed by the user as entities; the model should see the characters. */
function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
