import { DiscordAPIError, RESTJSONErrorCodes, type ChatInputCommandInteraction } from 'discord.js';
import { invocationText, type MenuCommand } from '../../src/runner/commands.js';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';

/** Longest question the acknowledgement quotes (Discord allows 2,000 characters in a message). */
const QUOTE_LIMIT = 1_900;

/** What an application-command interaction asks for: the text of its message, and the line that acknowledges it. */
export interface SlashInvocation {
  /** `/new`, or for `/ask` the text itself. */
  text: string;
  /** The interaction's public answer: the question quoted, or the command's name. */
  acknowledgement: string;
}

/**
 * The message a slash command stands for, from the runner's menu; undefined for a command the menu does not have
 * (registered by an older version) or an `/ask` with nothing in it.
 */
export function slashInvocation(interaction: ChatInputCommandInteraction, commands: readonly MenuCommand[]): SlashInvocation | undefined {
  const command = commands.find((candidate) => candidate.name === interaction.commandName);
  if (!command) return undefined;
  const argument = command.text ? (interaction.options.getString(command.text.name, false) ?? undefined) : undefined;
  const text = invocationText(commands, command.name, argument);
  if (text === undefined) return undefined;
  const quoted = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 1)}…` : text;
  // Discord shows "<user> used /ask" above the answer, not what was asked: the quote lets the channel read the question.
  return { text, acknowledgement: command.text ? `>>> ${quoted}` : `/${command.name}` };
}

/**
 * A slash command as the runner's `InboundMessage`. Its event id is the interaction's id, so a redelivered
 * interaction is recorded once. It is addressed (the user picked the bot's command) and passes every group policy.
 * It belongs to the session of its channel (a thread being a channel of its own), like a message written there.
 *
 * Replies go to the channel as ordinary messages; in a server they reply to the acknowledgement (`echoMessageId`),
 * which quotes the question, as a reply to a mention quotes it.
 */
export function normalizeInteraction(interaction: ChatInputCommandInteraction, botId: string, text: string, echoMessageId?: string): InboundMessage | undefined {
  const channelId = interaction.channelId;
  if (!channelId || interaction.user.bot) return undefined;
  // The commands are offered in servers and in the bot's DMs only: outside a server, this is the bot's DM.
  const isPrivate = !interaction.inGuild();
  const member = interaction.member;
  const userName = (member && 'displayName' in member ? member.displayName : undefined) ?? interaction.user.displayName;
  return {
    platform: 'discord',
    botId,
    chatId: channelId,
    userId: interaction.user.id,
    ...(userName ? { userName } : {}),
    eventId: interaction.id,
    ...(echoMessageId ? { messageId: echoMessageId } : {}),
    text,
    isPrivate,
    addressed: true,
    slashCommand: interaction.commandName,
    replyTarget: { chatId: channelId, ...(!isPrivate && echoMessageId ? { replyToMessageId: echoMessageId } : {}) },
  };
}

/** The interaction was acknowledged already: Discord delivered it again, and another worker (or attempt) answered it. */
export function alreadyAcknowledged(error: unknown): boolean {
  return error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged;
}

/** Remembers the last `limit` ids seen, to drop redeliveries before anything else is done with them. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly limit = 1_000) {}

  /** True the first time `id` is seen (among the last `limit`). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
