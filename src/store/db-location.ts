import path from 'node:path';
import { InvalidInputError } from './errors.js';

/** Where a store lives, decoded from the one `db` string a user passes. */
export type DbLocation =
  | { kind: 'postgres'; connectionString: string; schema: string; redacted: string }
  | { kind: 'sqlite'; file: string; redacted: string };

export const DEFAULT_PG_SCHEMA = 'threadline';

const ACCEPTED_FORMS =
  'use postgres://user@host:5432/db (or postgresql://…), sqlite:///abs/path.db, sqlite:relative.db, a file path such as threadline.db, or :memory:';

/** Replace the password of a URL by `***` so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/**
 * `postgres://` / `postgresql://` URLs go to Postgres (an optional `?schema=name` picks the schema);
 * `sqlite:` URLs, bare paths and `:memory:` go to SQLite; anything else is refused with the list of forms.
 */
export function parseDbLocation(db: string): DbLocation {
  if (typeof db !== 'string' || db.trim() === '') throw new InvalidInputError(`no database given: ${ACCEPTED_FORMS}`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(db)?.[1]?.toLowerCase();

  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL;
    try {
      url = new URL(db);
    } catch {
      throw new InvalidInputError(`malformed Postgres URL ${redactUrl(db)}: ${ACCEPTED_FORMS}`);
    }
    const schema = url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new InvalidInputError(`bad schema name ${JSON.stringify(schema)} in the database URL: use lower-case letters, digits and _`);
    }
    url.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: url.toString(), schema, redacted: redactUrl(url.toString()) };
  }

  if (scheme === 'sqlite') {
    // sqlite:///abs/path.db → /abs/path.db ; sqlite:relative.db → relative.db ; sqlite::memory: → :memory:
    const rest = db.slice('sqlite:'.length);
    const file = rest.startsWith('//') ? rest.slice(2) : rest;
    if (file === '') throw new InvalidInputError(`sqlite URL without a file: ${ACCEPTED_FORMS}`);
    return sqlite(file);
  }

  if (db === ':memory:') return sqlite(db);
  // A Windows drive letter looks like a scheme; anything else with a scheme is not ours.
  if (scheme && !/^[a-z]:[\\/]/i.test(db)) {
    throw new InvalidInputError(`unsupported database ${JSON.stringify(redactUrl(db))}: ${ACCEPTED_FORMS}`);
  }
  return sqlite(db);
}

function sqlite(file: string): DbLocation {
  const resolved = file === ':memory:' ? file : path.resolve(file);
  return { kind: 'sqlite', file: resolved, redacted: resolved };
}
