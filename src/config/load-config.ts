import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { InvalidInputError } from '../store/errors.js';
import { configSchema, type ThreadlineConfig } from './config-schema.js';

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
  const result = configSchema(env).safeParse(document ?? {});
  if (!result.success) {
    // A misspelt key also makes the key it was meant to be "required": name the typo, it is the cause.
    const issues = result.error.issues;
    throw new ConfigError(`config file ${file}: ${describeIssue(issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0])}`);
  }
  return result.data;
}

/** `platforms.telegram.tokn: unknown key` / `platforms.whatsapp.appSecret: environment variable X is not set`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = [...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path.push(issue.keys[0]);
    message = 'unknown key';
  } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    message = 'is required';
  } else if (issue.code === 'invalid_value') {
    message = `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
  }
  const key = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
  return key ? `${key}: ${message}` : message;
}
