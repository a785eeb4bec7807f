/*
 * Config values that may name environment variables instead of holding secrets: `token: ${TELEGRAM_BOT_TOKEN}`
 * (also inside a longer string: `postgres://bot:${PGPASSWORD}@db/threadline`) or `token: { env: TELEGRAM_BOT_TOKEN }`.
 * Resolved over the whole document before it is validated, so every setting takes references the same way, and the
 * schema checks the values exactly as it checks a flag's. A variable that is unset or empty is an error naming it,
 * never a silently empty secret.
 */

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type DocumentPath = Array<string | number>;

export interface EnvProblem {
  path: DocumentPath;
  message: string;
}

/** `document` with its references resolved from `env`; a reference that cannot be is left out and reported. */
export function resolveEnvReferences(document: unknown, env: NodeJS.ProcessEnv): { resolved: unknown; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  const walk = (value: unknown, path: DocumentPath): unknown => {
    if (isEnvObject(value)) {
      const resolved = env[value.env];
      if (!resolved) problems.push({ path, message: `environment variable ${value.env} is not set` });
      return resolved || undefined;
    }
    if (typeof value === 'string') {
      const unset = [...value.matchAll(REFERENCE)].map((match) => match[1]).filter((name) => !env[name]);
      if (unset.length === 0) return value.replace(REFERENCE, (_, name: string) => env[name]!);
      problems.push({ path, message: unset.length === 1 ? `environment variable ${unset[0]} is not set` : `environment variables ${unset.join(', ')} are not set` });
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    return value;
  };
  return { resolved: walk(document, []), problems };
}

function isEnvObject(value: unknown): value is { env: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { env?: unknown }).env === 'string';
}
