import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  Routes,
  type APIApplication,
  type APIApplicationCommand,
  type REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Logger } from '../../src/log.js';
import type { MenuCommand } from '../../src/runner/commands.js';
import { classifyDiscordError } from './classify-error.js';

type CommandBody = RESTPostAPIChatInputApplicationCommandsJSONBody;

/**
 * The runner's menu as Discord application commands: a chat-input (slash) command each, and for a command that takes
 * text (`/ask`) one required string option. Global commands are offered in servers and in the bot's DMs (the only
 * places the bot answers); guild commands exist in their guild only, so they say nothing of contexts.
 */
export function applicationCommands(commands: readonly MenuCommand[], scope: 'global' | 'guild'): CommandBody[] {
  return commands.map((command) => ({
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: command.description,
    ...(command.text
      ? { options: [{ type: ApplicationCommandOptionType.String, name: command.text.name, description: command.text.description, required: true }] }
      : {}),
    ...(scope === 'global'
      ? { contexts: [InteractionContextType.Guild, InteractionContextType.BotDM], integration_types: [ApplicationIntegrationType.GuildInstall] }
      : {}),
  }));
}

/** What a command says, whichever side wrote it (Discord answers with ids, versions and defaults of its own). */
function comparable(command: Partial<APIApplicationCommand> | CommandBody, scope: 'global' | 'guild'): string {
  const sorted = (values: readonly number[] | null | undefined) => (values ? [...values].sort((a, b) => a - b) : null);
  return JSON.stringify({
    type: command.type ?? ApplicationCommandType.ChatInput,
    name: command.name,
    description: command.description ?? '',
    options: (command.options ?? []).map((option) => ({
      type: option.type,
      name: option.name,
      description: option.description,
      required: ('required' in option && option.required) || false,
    })),
    ...(scope === 'global' ? { contexts: sorted(command.contexts), integrationTypes: sorted(command.integration_types) } : {}),
  });
}

function sameCommands(existing: APIApplicationCommand[], wanted: CommandBody[], scope: 'global' | 'guild'): boolean {
  const set = (commands: Array<Partial<APIApplicationCommand> | CommandBody>) => commands.map((command) => comparable(command, scope)).sort();
  return JSON.stringify(set(existing)) === JSON.stringify(set(wanted));
}

export interface RegisterCommandsOptions {
  rest: REST;
  commands: readonly MenuCommand[];
  /** Register in these guilds instead of globally. */
  guildIds?: readonly string[];
  logger: Logger;
}

/**
 * Registers the bot's application commands at start-up: globally, or in each configured guild. Each scope is read
 * first and overwritten in bulk (`PUT`, which replaces the whole list) only when it differs, so every worker doing
 * this at every start changes nothing and spends none of Discord's daily command-create budget. A failure is a
 * warning: the bot still answers messages and typed commands. Resolves once every scope is done.
 */
export async function registerApplicationCommands(options: RegisterCommandsOptions): Promise<void> {
  const { rest, logger } = options;
  if (options.commands.length === 0) return;
  let applicationId: string;
  try {
    applicationId = ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  } catch (error) {
    logger.warn({ reason: classifyDiscordError(error).reason }, 'could not register the Discord application commands: the application was not found (GET /applications/@me)');
    return;
  }
  const guildIds = options.guildIds ?? [];
  const scopes: Array<string | undefined> = guildIds.length > 0 ? [...guildIds] : [undefined];
  for (const guildId of scopes) {
    const scope = guildId === undefined ? 'global' : 'guild';
    const route = guildId === undefined ? Routes.applicationCommands(applicationId) : Routes.applicationGuildCommands(applicationId, guildId);
    const wanted = applicationCommands(options.commands, scope);
    const where = guildId === undefined ? { scope } : { scope, guildId };
    try {
      const existing = (await rest.get(route)) as APIApplicationCommand[];
      if (sameCommands(existing, wanted, scope)) {
        logger.info({ ...where, commands: wanted.map((c) => c.name) }, 'Discord application commands already registered');
        continue;
      }
      await rest.put(route, { body: wanted });
      logger.info({ ...where, commands: wanted.map((c) => c.name) }, 'registered the Discord application commands');
    } catch (error) {
      const { reason } = classifyDiscordError(error);
      const hint =
        guildId === undefined
          ? ''
          : ' (is the bot in that server, invited with the applications.commands scope?)';
      logger.warn({ ...where, reason }, `could not register the Discord application commands${hint}; typed commands still work`);
    }
  }
}
