import { z } from 'zod';
import { PLATFORMS } from '../../adapters/platforms.js';
import type { AnyPlatformDeclaration } from '../../adapters/shared/platform-declaration.js';
import { processSettings, runnerSettings, storeAndModelSettings, type RunnerSettings } from '../settings/runner-settings.js';
import { withoutDefaults } from '../settings/setting.js';

/*
 * The config file of `threadline bot run --config <file>`, derived from the same declarations as the flags of the
 * `threadline bot <platform>` commands (adapters/<platform>/platform.ts, src/settings/runner-settings.ts): every key is
 * a flag in camelCase (`--group-policy` is `groupPolicy`), checked by the same zod type. Runner settings at the top
 * level apply to every platform; a platform's section may override them (ids in `allow` differ per platform). A
 * platform's section is one bot, or a list of bots of that platform (two Telegram bots with two tokens). Unknown keys
 * are errors, so a typo never silently falls back to a default. Env references are resolved before this schema sees
 * the document (env-reference.ts).
 */

/** A platform's section: one bot (an object), or several bots of the platform (a list of such objects). */
function oneOrMore<T extends z.ZodType>(section: T) {
  return z.union([section, z.array(section).min(1, 'list at least one bot, or remove the platform')]);
}

/** One bot's section: the platform's settings (with their defaults) and the runner settings it overrides. */
function sectionSchema(platform: AnyPlatformDeclaration) {
  const aliases = platform.configAliases;
  return z
    .strictObject({ ...platform.settings, ...(aliases?.shape ?? {}), ...withoutDefaults(runnerSettings) })
    .transform((section) => (aliases ? aliases.normalize(section) : section) as Record<string, unknown>)
    .superRefine((section, ctx) => platform.check?.(section, ctx));
}

export function configSchema() {
  const platformNames = PLATFORMS.map((platform) => platform.name).join(', ');
  const sections = Object.fromEntries(PLATFORMS.map((platform) => [platform.name, oneOrMore(sectionSchema(platform)).optional()]));
  return z
    .strictObject({
      ...withoutDefaults(storeAndModelSettings),
      ...withoutDefaults(processSettings),
      ...withoutDefaults(runnerSettings),
      platforms: z.strictObject(sections).refine((configured) => Object.values(configured).some(Boolean), `configure at least one platform (${platformNames})`),
    })
    .superRefine((config, ctx) => {
      const bots = configuredBots(config.platforms);
      // The webhook servers (and the ops server) of one process cannot share a port (0 picks a free one each).
      const servers: Array<[path: Path, port: unknown]> = [[['opsPort'], config.opsPort]];
      for (const bot of bots) {
        const key = platformOf(bot).serverPort?.(bot.section);
        if (key) servers.push([[...bot.path, key], bot.section[key]]);
      }
      const taken = new Map<number, Path>();
      for (const [path, serverPort] of servers) {
        if (typeof serverPort !== 'number' || serverPort === 0) continue;
        const holder = taken.get(serverPort);
        if (holder) ctx.addIssue({ code: 'custom', path, message: `port ${serverPort} is already ${keyOf(holder)}` });
        else taken.set(serverPort, path);
      }
      // One bot runs once per process: two sections with the same identity would answer each message twice over.
      const seen = new Map<string, Path>();
      for (const bot of bots) {
        const reported = new Set<string>();
        for (const [key, identity, what] of platformOf(bot).identities(bot.section)) {
          const holder = seen.get(identity);
          if (!holder) seen.set(identity, [...bot.path, key]);
          else if (!reported.has(key)) {
            reported.add(key);
            ctx.addIssue({ code: 'custom', path: [...bot.path, key], message: what(keyOf(holder)) });
          }
        }
      }
    });
}

type Path = Array<string | number>;

export type ThreadlineConfig = z.output<ReturnType<typeof configSchema>>;

/** One configured bot: its platform, its section (settings and runner overrides), and where it is in the file. */
export interface ConfiguredBot {
  platform: string;
  section: Record<string, unknown> & Partial<RunnerSettings>;
  path: Path;
}

/** Every bot the config configures, platform by platform in the file's order (a list section gives several). */
export function configuredBots(platforms: ThreadlineConfig['platforms']): ConfiguredBot[] {
  const bots: ConfiguredBot[] = [];
  for (const [platform, value] of Object.entries(platforms)) {
    if (!value) continue;
    const sections = Array.isArray(value) ? value : [value];
    sections.forEach((section, i) => {
      const path: Path = Array.isArray(value) ? ['platforms', platform, i] : ['platforms', platform];
      bots.push({ platform, section, path });
    });
  }
  return bots;
}

export function platformOf(bot: ConfiguredBot): AnyPlatformDeclaration {
  return PLATFORMS.find((platform) => platform.name === bot.platform)!;
}

/** `platforms.telegram[1].token`: a key as messages name it. */
export function keyOf(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}
