import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTs } from './processes.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VITEST = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const CONFIG = 'test/support/fixtures/always-fails.vitest.config.ts';

/**
 * CI trusts the suite's exit code. A dependency once made every run exit 0 (an exit hook calling process.exit(0)),
 * so a red suite looked green: a failing test must fail the run, with the machine's Postgres or an embedded one.
 */
describe('the test run', () => {
  it.each([['the machine or configured Postgres', '0'], ['an embedded Postgres', '1']])('exits non-zero when a test fails (%s)', async (_, embedded) => {
    const run = await runTs(VITEST, ['run', '--config', CONFIG], { cwd: ROOT, env: { THREADLINE_TEST_EMBEDDED_PG: embedded, CI: 'true' } });
    expect(run.stdout + run.stderr).toMatch(/fails on purpose/);
    expect(run.code).toBe(1);
  });
});
