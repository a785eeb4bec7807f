import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Where the benchmark runs: the machine's Postgres (or BENCH_DATABASE_URL) in a fresh schema, and SQLite in a temp dir. */
export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const runId = Date.now().toString(36);
const dir = mkdtempSync(path.join(tmpdir(), 'threadline-bench-'));

export function pgDb(label: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('schema', `bench_${runId}_${label}`);
  return url.toString();
}

export function sqliteDb(label: string): string {
  return path.join(dir, `${label}.db`);
}

export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drop the schemas this run created. */
export async function cleanUp(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`bench_${runId}_%`]);
  for (const { nspname } of rows) await client.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await client.end();
}
