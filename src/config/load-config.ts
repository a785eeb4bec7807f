import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { InvalidInputError } from '../store/errors.js';
import { configSchema, keyOf, type ThreadlineConfig } from './config-schema.js';
import { resolveEnvReferences, type EnvProblem } from './env-reference.js';

/** A config file that cannot be used; its message is one line naming the file and the bad key. */
export class ConfigError extends InvalidInputError {}

/** Reads, parses (YAML, so JSON too) and validates a config file, resolving env references from `env`. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ThreadlineConfig> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${file}: ${code === 'ENOENT' ? 'not found' : (error as Error).message}`);
  }
  return parseConfig(source, file, env);
}

export function parseConfig(source: string, file: string, env: NodeJS.ProcessEnv = process.env): ThreadlineConfig {
  let document: unknown;
  try {
    document = parseYaml(source);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError(`config file ${file}: not valid YAML${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  const schema = configSchema();
  const { resolved, problems: unset } = resolveEnvReferences(document ?? {}, env);
  const result = schema.safeParse(resolved);
  if (!result.success || unset.length > 0) {
    // Every problem at once, so one run finds them all; a misspelt key also makes the key it was meant to be
    // "required": that is one mistake, named once, at the typo. So does an unset variable, at its reference.
    const problems = describeIssues(result.error?.issues ?? [], schema, unset);
    throw new ConfigError(`config file ${file}: ${problems.length > 1 ? `${problems.length} problems: ` : ''}${problems.join('; ')}`);
  }
  return result.data!;
}

function describeIssues(all: z.core.$ZodIssue[], schema: z.ZodType, unset: EnvProblem[]): string[] {
  const issues = all.flatMap(unionBranch);
  const suggested = new Set<string>();
  const described = issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [];
    return issue.keys.map((key) => {
      const near = closestKey(key, knownKeys(schema, issue.path));
      if (near) suggested.add(keyOf([...issue.path, near]));
      return `${keyOf([...issue.path, key])}: unknown key${near ? ` (did you mean ${near}?)` : ''}`;
    });
  });
  const unresolved = unset.map((problem) => keyOf(problem.path));
  described.push(...unset.map((problem) => `${keyOf(problem.path)}: ${problem.message}`));
  for (const issue of issues) {
    const key = keyOf(issue.path);
    if (issue.code === 'unrecognized_keys' || suggested.has(key) || unresolved.some((at) => key === at || key.startsWith(`${at}.`) || key.startsWith(`${at}[`))) continue;
    described.push(describeIssue(issue));
  }
  return described;
}

/**
 * A platform section is one bot or a list of bots (a union): when neither fits, the problems worth telling are those
 * of the form the file used (an object, or a list), with their paths from the file's root.
 */
function unionBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const fitting = issue.errors.filter((branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
  if (fitting.length !== 1) return [{ ...issue, message: 'expected a section (one bot), or a list of sections (several bots)' } as z.core.$ZodIssue];
  return fitting[0].flatMap((inner) => unionBranch({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue));
}

/** `platforms.whatsapp.appSecret: environment variable X is not set`, `groupPolicy: expected one of …`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is required';
  else if (issue.code === 'invalid_value') message = `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
  const key = keyOf(issue.path);
  return key ? `${key}: ${message}` : message;
}

interface SchemaDef {
  innerType?: z.ZodType;
  /** A pipe (a section's transform): the keys are those of what goes in. */
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
}

/** The keys the schema knows for the object at `path` (through optional and default wrappers, lists and one-or-more unions). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const part of [...path, undefined]) {
    const def = unwrapped(current, part);
    if (part === undefined) return def?.shape ? Object.keys(def.shape) : [];
    current = typeof part === 'number' ? def?.element : def?.shape?.[String(part)];
  }
  return [];
}

/** The definition under optional/default wrappers; of a union, the option a list index (or a key) goes into. */
function unwrapped(schema: z.ZodType | undefined, part: PropertyKey | undefined): SchemaDef | undefined {
  let def = schema?._zod.def as SchemaDef | undefined;
  while (def?.innerType || def?.in || def?.options) {
    const next: z.ZodType | undefined = def.innerType ?? def.in ?? def.options!.find((option) => {
      const optionDef = unwrapped(option, part);
      return typeof part === 'number' ? optionDef?.element !== undefined : optionDef?.shape !== undefined;
    });
    def = next?._zod.def as SchemaDef | undefined;
  }
  return def;
}

/** The known key a typo was most likely meant to be: at most two edits away (one for short keys). */
function closestKey(typo: string, known: string[]): string | undefined {
  const limit = typo.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(typo.toLowerCase(), key.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit (`tokne` → `token`). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
