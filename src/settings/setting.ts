import { z } from 'zod';

/*
 * What a setting is besides its zod type: how the `threadline bot <platform>` flag and its help read, and where the
 * CLI looks when the flag is absent. The config file uses the key itself (flags are its kebab-case spelling); both
 * validate with the same zod type, so they can never disagree.
 */
export interface SettingMeta {
  /** The help line (also the schema's `.describe()`). */
  description: string;
  /** The flag's value in the help (`--port <port>`); absent for on/off settings. */
  value?: string;
  /** The CLI reads this variable when the flag is absent (never the config file: it names its references). */
  env?: string;
  /** A secret: never printed (see src/cli/secrets.ts). */
  secret?: boolean;
  /** Only from the environment, never a flag: a command line is visible to every user of the machine. */
  envOnly?: boolean;
  /** How a list is given on the command line: `--allow 1,2` (comma) or `--send-limit a --send-limit b` (repeat). */
  list?: 'comma' | 'repeat';
  /** What the help says the default is when it is not a plain value (`$THREADLINE_LOG_LEVEL, else info`). */
  defaultText?: string;
}

export const settingMeta = z.registry<SettingMeta>();

/** `schema` described, with what the CLI needs to know of it. */
export function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  const described = schema.describe(meta.description) as T;
  settingMeta.add(described, meta);
  return described;
}

/** A setting's metadata; every field of a settings shape has some (the registry test checks it). */
export function metaOf(field: z.ZodType): SettingMeta | undefined {
  return settingMeta.get(field);
}

/** `webhookUrl` → `webhook-url`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

interface WrapperDef {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  element?: z.ZodType;
}

/** The schema under optional and default wrappers, and the default found on the way. */
export function unwrapSetting(field: z.ZodType): { inner: z.ZodType; def: WrapperDef; defaultValue?: unknown } {
  let inner = field;
  let defaultValue: unknown;
  let def = inner._zod.def as unknown as WrapperDef;
  while (def.innerType) {
    if (def.type === 'default') defaultValue = def.defaultValue;
    inner = def.innerType;
    def = inner._zod.def as unknown as WrapperDef;
  }
  return { inner, def, defaultValue };
}

/** A shape's fields without their defaults: a config section overrides the top level only where it says so. */
export function withoutDefaults<S extends z.core.$ZodShape>(shape: S): { [K in keyof S]: z.ZodOptional<z.ZodType<z.output<S[K]>>> } {
  return Object.fromEntries(
    Object.entries(shape).map(([key, field]) => {
      const def = (field as z.ZodType)._zod.def as unknown as WrapperDef;
      const bare = def.type === 'default' ? def.innerType! : (field as z.ZodType);
      return [key, bare.optional()];
    }),
  ) as unknown as { [K in keyof S]: z.ZodOptional<z.ZodType<z.output<S[K]>>> };
}
