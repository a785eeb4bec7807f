import { describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../support/cli-build.js';
import { sqliteTestFile } from '../support/databases.js';
import { runTs } from '../support/processes.js';

const ENV = { THREADLINE_LOG_LEVEL: 'warn', NO_COLOR: '1' };
const cli = (...args: string[]) => runTs(CLI_MAIN, args, { env: ENV });

describe('threadline keys', () => {
  it('creates a key shown once, lists names and scopes without keys, revokes by name, with one-line errors', async () => {
    const db = sqliteTestFile('keys');
    const created = await cli('keys', 'create', '--name', 'web', '--db', db);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^tl_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown only this once');

    const scoped = await cli('keys', 'create', '--name', 'acme', '--sessions-prefix', 'acme:', '--db', db, '--json');
    expect(JSON.parse(scoped.stdout)).toMatchObject({ name: 'acme', key: expect.stringMatching(/^tl_/), sessionsPrefix: 'acme:' });

    const again = await cli('keys', 'create', '--name', 'web', '--db', db);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('"web" exists already');

    const listed = await cli('keys', 'list', '--db', db, '--json');
    const keys = (JSON.parse(listed.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys.map((k) => [k.name, k.sessionsPrefix])).toEqual([['acme', 'acme:'], ['web', undefined]]);
    // The key itself is nowhere to be seen again.
    expect(listed.stdout).not.toContain(key);
    expect((await cli('keys', 'list', '--db', db)).stdout).not.toContain('tl_');

    expect((await cli('keys', 'revoke', 'web', '--db', db)).code).toBe(0);
    const twice = await cli('keys', 'revoke', 'web', '--db', db);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('no live API key named "web"');
    expect((await cli('keys', 'list', '--db', db)).stdout).toMatch(/web .*REVOKED/);
  });

  it('refuses bad names at once, and reading a store that is not there creates nothing (exit 3)', async () => {
    const db = sqliteTestFile('keys_none');
    const bad = await cli('keys', 'create', '--name', 'has space', '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--name');
    const missing = await cli('keys', 'list', '--db', db);
    expect(missing.code).toBe(3);
    const { existsSync } = await import('node:fs');
    expect(existsSync(db)).toBe(false);
  });
});
