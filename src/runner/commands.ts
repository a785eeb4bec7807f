/**
 * The chat commands every platform understands, declared once: parsing them from text (what they do is the
 * runner's, see command-replies.ts), the /help list, and the command menus each platform registers (Telegram's
 * `setMyCommands`, Discord's application commands, Slack's slash command), all derived from `CHAT_COMMANDS`.
 */

interface ChatCommandSpec {
  readonly name: string;
  /** Its line in /help. */
  readonly description: string;
  /** Its line in the platforms' menus when it differs from the /help line; false: not offered in menus. */
  readonly menu?: string | false;
}

const CHAT_COMMANDS = [
  // Telegram clients send /start themselves when a user opens the bot: no menu needs it.
  { name: 'start', description: 'greeting', menu: false },
  { name: 'new', description: 'start a fresh conversation (the old one is kept)' },
  { name: 'status', description: 'session id, message count and model' },
  { name: 'stop', description: 'abort the reply being written' },
  { name: 'history', description: 'a short summary of this conversation' },
  { name: 'help', description: 'this list', menu: 'list the commands' },
] as const satisfies readonly ChatCommandSpec[];

export type CommandName = (typeof CHAT_COMMANDS)[number]['name'];

export const COMMANDS: readonly CommandName[] = CHAT_COMMANDS.map((command) => command.name);

export const COMMAND_HELP = Object.fromEntries(CHAT_COMMANDS.map((command) => [command.name, command.description])) as Record<CommandName, string>;

/** `/name`, optionally `@BotName`, then the end or a space. */
const COMMAND_PATTERN = /^\/([a-z0-9_]+)(?:@\S+)?(?:\s|$)/i;

/** Any command, ours or another bot's (`/report`): only ours count as addressed in groups (see access-policy.ts). */
export function isCommand(text: string): boolean {
  return COMMAND_PATTERN.test(text.trim());
}

/** `/new`, `/new@MyBot`, `/NEW rest…` → `new`; anything else (including unknown commands) → undefined. */
export function parseCommand(text: string): CommandName | undefined {
  const match = COMMAND_PATTERN.exec(text.trim());
  const name = match?.[1].toLowerCase();
  return (COMMANDS as readonly string[]).includes(name ?? '') ? (name as CommandName) : undefined;
}

export function helpText(): string {
  return COMMANDS.map((name) => `/${name} - ${COMMAND_HELP[name]}`).join('\n');
}

/**
 * A command as the platforms' menus offer it. Names are 1-32 characters of a-z, 0-9 and `_` and descriptions 3-100
 * characters, which Telegram (`BotCommand`), Discord (application commands) and Slack (a subcommand word) all accept.
 */
export interface MenuCommand {
  name: string;
  description: string;
  /**
   * The command takes free text, and that text is an ordinary message to the bot (`/ask <text>`): for platforms
   * whose menus cannot send a plain message (Discord's application commands, Slack's slash command). The commands
   * without it take nothing.
   */
  text?: { name: string; description: string };
}

/** `/ask <text>`: the text itself, as a message. Not a chat command: platforms where a plain message works offer none. */
export const ASK_COMMAND: MenuCommand = {
  name: 'ask',
  description: 'ask the bot something (the same as sending it a message)',
  text: { name: 'text', description: 'what to ask' },
};

/**
 * The commands a platform's menu offers, in menu order: the chat commands a user picks (not /start), then `/ask`.
 * The runner hands them to its adapter at start (see `InboundSink.commands`); each adapter derives its platform's
 * registration from them.
 */
export function menuCommands(): MenuCommand[] {
  const chat = CHAT_COMMANDS.flatMap((command: ChatCommandSpec) =>
    command.menu === false ? [] : [{ name: command.name, description: command.menu ?? command.description }],
  );
  return [...chat, ASK_COMMAND];
}

/**
 * The text of the message a menu invocation stands for: `/new` for the command `new`; for a command that takes text
 * (`/ask`), the text itself. Undefined when there is nothing to send (an `/ask` with blank text, a name no menu has).
 */
export function invocationText(commands: readonly MenuCommand[], name: string, text?: string): string | undefined {
  const command = commands.find((candidate) => candidate.name === name.toLowerCase());
  if (!command) return undefined;
  if (!command.text) return `/${command.name}`;
  const message = text?.trim() ?? '';
  return message === '' ? undefined : message;
}
