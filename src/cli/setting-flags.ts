import { InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';
import { CliError } from './cli-error.js';
import { kebab, metaOf, unwrapSetting, type SettingMeta } from '../settings/setting.js';

/*
 * Commander flags derived from a settings shape (src/settings/setting.ts): `--kebab-case` from each camelCase key,
 * the help from its description, default and environment fallback, and each value checked by the setting's own zod
 * type as it is parsed, so a flag and the config key it equals give the same verdict.
 */

type Shape = z.core.$ZodShape;

/** The setting's flag, or undefined for a setting given only by the environment (a secret). */
export function flagOf(key: string, field: z.ZodType): Option | undefined {
  const meta = metaOf(field);
  if (!meta) throw new Error(`setting ${key} has no description (declare it with setting())`);
  if (meta.envOnly) return undefined;
  const { def, defaultValue } = unwrapSetting(field);
  if (def.type === 'boolean') {
    // An on-by-default setting is turned off: `--no-stream`.
    return new Option(defaultValue === true ? `--no-${kebab(key)}` : `--${kebab(key)}`, meta.description);
  }
  const option = new Option(`--${kebab(key)} <${meta.value ?? 'value'}>`, describeFlag(meta));
  if (def.type === 'enum') option.choices(Object.values(def.entries!));
  else option.argParser(valueParser(field, meta));
  if (defaultValue !== undefined) option.default(defaultValue);
  return option;
}

/** Adds the flags of `shape`'s settings to `command`. */
export function addSettingFlags(command: Command, shape: Shape): Command {
  for (const [key, field] of Object.entries(shape)) {
    const option = flagOf(key, field as z.ZodType);
    if (option) command.addOption(option);
  }
  return command;
}

/** The settings given only by the environment, listed in the help after the flags. */
export function addEnvironmentHelp(command: Command, shape: Shape): Command {
  const lines = Object.values(shape).flatMap((field) => {
    const meta = metaOf(field as z.ZodType);
    return meta?.envOnly && meta.env ? [`  ${meta.env.padEnd(28)}  ${meta.description}`] : [];
  });
  return lines.length > 0 ? command.addHelpText('after', `\nEnvironment (never flags: a command line is visible to every user):\n${lines.join('\n')}`) : command;
}

function describeFlag(meta: SettingMeta): string {
  const fallback = meta.defaultText ?? (meta.env ? `$${meta.env}` : undefined);
  return fallback ? `${meta.description} (default: ${fallback})` : meta.description;
}

/**
 * A commander parser that checks a flag's text with a value type (`src/settings/values.ts`): the same verdict and
 * words as a setting of that type, for flags that are not settings (`serve --port`).
 */
export function flagValue<T>(type: z.ZodType<T>): (value: string) => T {
  return (value) => {
    const result = type.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(result.error.issues[0].message);
    return result.data;
  };
}

/** Checks one flag's value with the setting's zod type; a list's items one at a time, as given. */
function valueParser(field: z.ZodType, meta: SettingMeta): (value: string, previous: unknown) => unknown {
  const { inner, def } = unwrapSetting(field);
  const check = flagValue(def.type === 'array' ? def.element! : inner);
  if (meta.list === 'comma') return (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean).map(check);
  if (meta.list === 'repeat') return (value: string, previous: unknown) => [...((previous as unknown[] | undefined) ?? []), check(value)];
  return (value: string) => check(value);
}

/**
 * The settings `shape` gets from the parsed flags, with the environment filling in for absent ones; problems across
 * settings (`check`) and missing settings are one line, exit 2, naming the flag and variable to set.
 */
export function settingsFromFlags<S extends Shape>(
  shape: S,
  flags: Record<string, unknown>,
  { env = process.env, check }: { env?: NodeJS.ProcessEnv; check?: (settings: Record<string, unknown>, ctx: z.RefinementCtx) => void } = {},
): z.output<z.ZodObject<S>> {
  const input: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const variable = metaOf(field as z.ZodType)?.env;
    input[key] = flags[key] ?? (variable && env[variable] ? env[variable] : undefined);
  }
  const schema = z.object(shape).superRefine((settings, ctx) => check?.(settings, ctx));
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeFlagIssue(shape, issue));
  throw new CliError(`${problems.length > 1 ? `${problems.length} problems: ` : ''}${problems.join('; ')}`, 2);
}

/** `--token or $TELEGRAM_BOT_TOKEN is required (bot token from @BotFather)`, `$WHATSAPP_APP_SECRET is required (…)`. */
function describeFlagIssue(shape: Shape, issue: z.core.$ZodIssue): string {
  const key = String(issue.path[0] ?? '');
  const field = shape[key] as z.ZodType | undefined;
  const meta = field && metaOf(field);
  if (!meta) return issue.message;
  const names = [...(meta.envOnly ? [] : [`--${kebab(key)}`]), ...(meta.env ? [`$${meta.env}`] : [])].join(' or ');
  if (issue.message === 'is required') return `${names} is required (${meta.description})`;
  return `${names}: ${issue.message}`;
}
