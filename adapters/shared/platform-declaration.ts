import type { z } from 'zod';
import type { Logger } from '../../src/log.js';
import type { PlatformAdapter } from '../../src/runner/platform-adapter.js';
import type { LeaseProvider } from '../../src/runner/lease-provider.js';

/*
 * A platform, declared once (adapters/<platform>/platform.ts): its settings as one zod shape whose fields carry their
 * help and CLI metadata (src/settings/setting.ts), its command's description and examples, what makes two of its bots
 * the same bot, and how its adapter is made. `threadline bot <platform>` and the config file's `platforms.<platform>`
 * section are both derived from it (src/cli/commands/bot/platform-command.ts, src/config/config-schema.ts).
 */

/** What a platform's adapter is made with besides its settings: the process's store leases, its logger. */
export interface PlatformContext {
  leases: LeaseProvider;
  logger: Logger;
  /** The platform refused the bot for good (Discord's gateway): the process stops, then fails with `error`. */
  fail(error: Error): void;
}

/** `[setting, identity, message]`: two bots with one identity are one bot (`message` names the first holder). */
export type Identity = [key: string, identity: string, message: (holder: string) => string];

/** A second bot with this identity: the same token, the same phone number id… */
export const configuredOnce = (what: string) => (holder: string) => `${what} as ${holder}: each bot may be configured once`;

export interface PlatformDeclaration<Shape extends z.core.$ZodShape = z.core.$ZodShape> {
  /** `telegram`: the command (`threadline bot telegram`) and the config section (`platforms.telegram`). */
  name: string;
  description: string;
  examples: string[];
  settings: Shape;
  /** Checks across settings (the secret a mode needs); issues name the setting, as `setting: message`. */
  check?(settings: z.output<z.ZodObject<Shape>>, ctx: z.RefinementCtx): void;
  /**
   * Older spellings a config section may still use, and how they become the settings (Telegram's nested `webhook`).
   * Config-only: the flags have always been the settings.
   */
  configAliases?: { shape: z.core.$ZodShape; normalize(section: Record<string, unknown>): Record<string, unknown> };
  /** What makes two bots one bot (or two webhooks one), as far as the settings tell. Never quotes a secret. */
  identities(settings: z.output<z.ZodObject<Shape>>): Identity[];
  /** The setting naming the port the bot's webhook server listens on, when it runs one with these settings. */
  serverPort?(settings: z.output<z.ZodObject<Shape>>): string | undefined;
  /** The adapter, identified where the platform allows it, so a wrong token fails before the runner starts. */
  makeAdapter(settings: z.output<z.ZodObject<Shape>>, context: PlatformContext): Promise<PlatformAdapter>;
}

/** A declaration of some platform, its settings' types erased: what the registry lists. */
export type AnyPlatformDeclaration = PlatformDeclaration<z.core.$ZodShape> & {
  check?(settings: Record<string, unknown>, ctx: z.RefinementCtx): void;
  identities(settings: Record<string, unknown>): Identity[];
  serverPort?(settings: Record<string, unknown>): string | undefined;
  makeAdapter(settings: Record<string, unknown>, context: PlatformContext): Promise<PlatformAdapter>;
};

/** Types a platform's declaration against its own settings. */
export function declarePlatform<Shape extends z.core.$ZodShape>(declaration: PlatformDeclaration<Shape>): AnyPlatformDeclaration {
  return declaration as unknown as AnyPlatformDeclaration;
}
