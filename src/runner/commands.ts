/** The chat commands every platform understands. Parsing only: what they do is the runner's. */
export const COMMANDS = ['start', 'new', 'status', 'stop', 'history', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const COMMAND_HELP: Record<CommandName, string> = {
  start: 'greeting',
  new: 'start a fresh conversation (the old one is kept)',
  status: 'session id, message count and model',
  stop: 'abort the reply being written',
  history: 'a short summary of this conversation',
  help: 'this list',
};

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
