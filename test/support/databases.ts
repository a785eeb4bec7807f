import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { schemaPrefix, sqliteDirPrefix } from './run-names.js';

const PG_IDENTIFIER_MAX = 63;
const RANDOM_SUFFIX_BYTES = 4;

/**
 * The run's Postgres URL with `?schema=t_<runid>_<label>_<random>`: a schema no other test (or run) uses.
 * The store creates the schema itself; global teardown drops every `t_<runid>_*` schema.
 */
export function pgTestUrl(label: string): string {
  const prefix = schemaPrefix(inject('pgRunId'));
  const suffix = `_${randomBytes(RANDOM_SUFFIX_BYTES).toString('hex')}`;
  const room = PG_IDENTIFIER_MAX - prefix.length - suffix.length;
  const url = new URL(inject('pgUrl'));
  url.searchParams.set('schema', `${prefix}${safeLabel(label).slice(0, room)}${suffix}`);
  return url.toString();
}

/**
 * A path `<tmpdir>/threadline-test-<runid>-<random>/<label>.db` whose directory exists and whose file does not yet.
 * Global teardown removes this run's directories.
 */
export function sqliteTestFile(label: string): string {
  const dir = join(tmpdir(), `${sqliteDirPrefix(inject('pgRunId'))}${randomBytes(RANDOM_SUFFIX_BYTES).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${safeLabel(label)}.db`);
}

/**
 * Runs one statement on the run's Postgres (outside any test schema unless the SQL names one) and returns its rows.
 * One connection per call: inspection queries are rare, and nothing is left open when the test file ends.
 */
export async function pgAdminQuery<Row extends pg.QueryResultRow = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: inject('pgUrl') });
  await client.connect();
  try {
    const result = await client.query<Row>(sql, params);
    return result.rows;
  } finally {
    await client.end();
  }
}

/** The schema name of a URL made by pgTestUrl, for tests that inspect it with pgAdminQuery. */
export function schemaOf(pgUrl: string): string {
  const schema = new URL(pgUrl).searchParams.get('schema');
  if (!schema) throw new Error('no ?schema= in the Postgres URL: pass a URL made by pgTestUrl');
  return schema;
}

function safeLabel(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9_]+/g, '_') || 'x';
}
