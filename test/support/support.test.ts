import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { pgAdminQuery, pgTestUrl, schemaOf, sqliteTestFile } from './databases.js';
import { killAll, runTs, spawnTs } from './processes.js';
import { schemaPrefix } from './run-names.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo-args.ts');

afterEach(killAll);

describe('test databases', () => {
  it('the run Postgres answers select 1', async () => {
    expect(await pgAdminQuery<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('pgTestUrl gives distinct, valid schema names under this run', () => {
    const long = 'A label with Spaces-and-dashes and far too many characters to fit in a Postgres identifier';
    const schemas = [pgTestUrl('store'), pgTestUrl('store'), pgTestUrl(long)].map(schemaOf);
    expect(new Set(schemas).size).toBe(3);
    for (const schema of schemas) {
      expect(schema).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
      expect(schema.startsWith(schemaPrefix(inject('pgRunId')))).toBe(true);
    }
  });

  it('a pgTestUrl schema name is accepted by Postgres (teardown drops it)', async () => {
    const schema = schemaOf(pgTestUrl('created'));
    await pgAdminQuery(`create schema ${schema}`);
    expect(await pgAdminQuery('select nspname from pg_namespace where nspname = $1', [schema])).toEqual([{ nspname: schema }]);
  });

  it('pgTestUrl keeps the database of the run URL', () => {
    const url = new URL(pgTestUrl('keeps'));
    const base = new URL(inject('pgUrl'));
    expect(`${url.host}${url.pathname}`).toBe(`${base.host}${base.pathname}`);
  });

  it('sqliteTestFile gives a fresh path whose directory exists', () => {
    const [a, b] = [sqliteTestFile('one'), sqliteTestFile('one')];
    expect(a).not.toBe(b);
    expect(a.endsWith('/one.db')).toBe(true);
    expect(existsSync(dirname(a))).toBe(true);
    expect(existsSync(a)).toBe(false);
  });
});

describe('test processes', () => {
  it('runTs runs a TS script to its end and returns code and output', async () => {
    const result = await runTs(fixture, ['a', 'b'], { env: { SUPPORT_FIXTURE_VALUE: 'from-test' } });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('args=a,b\n');
    expect(result.stdout).toContain('env=from-test\n');
    expect(result.stderr).toBe('to stderr\n');
  });

  it('spawnTs works from another cwd, waits for lines and can be killed', async () => {
    const child = spawnTs(fixture, ['--wait'], { cwd: '/' });
    expect(await child.waitForLine(/^ready pid=\d+$/)).toBe(`ready pid=${child.child.pid}`);
    expect(await child.waitForLine(/to stderr/, 15_000, 'stderr')).toBe('to stderr');
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.stdoutLines).toEqual([`ready pid=${child.child.pid}`, 'args=--wait', 'env=(unset)']);
  });

  it('waitForLine rejects with the stderr when the process ends without the line', async () => {
    const child = spawnTs(fixture, []);
    await expect(child.waitForLine(/never printed/)).rejects.toThrow(/code 3.*to stderr/s);
  });

  it('killAll ends children the test left running', async () => {
    const child = spawnTs(fixture, ['--wait']);
    await child.waitForLine(/^ready/);
    await killAll();
    expect((await child.exited).signal).toBe('SIGKILL');
  });
});
