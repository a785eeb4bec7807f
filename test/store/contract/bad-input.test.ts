import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, StoreUnavailableError } from '../../../src/store/errors.js';
import { openStore } from '../../../src/store/open-store.js';
import { pgAdminQuery, pgTestUrl, sqliteTestFile } from '../../support/databases.js';

/** The error a promise rejects with (a resolved promise is itself a failure of the test). */
const failureOf = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => new Error('expected a failure, but it succeeded'),
    (error: unknown) => error as Error,
  );

describe('opening a store with bad input says what is wrong in one line and writes nothing', () => {
  it('names host:port and what to check when Postgres does not answer, never the password', async () => {
    const error = await failureOf(openStore('postgres://alice:s3cret-pw@127.0.0.1:1/threadline'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/connection refused at 127\.0\.0\.1:1: is Postgres running there/);
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('says which database is missing', async () => {
    const url = new URL(pgTestUrl('x'));
    url.pathname = '/threadline_no_such_db';
    await expect(openStore(url.toString())).rejects.toThrow(/database threadline_no_such_db does not exist .*createdb/);
  });

  it('lists the accepted forms for an unknown scheme', async () => {
    await expect(openStore('mysql://root@127.0.0.1/db')).rejects.toThrow(InvalidInputError);
    await expect(openStore('mysql://root:pw@127.0.0.1/db')).rejects.toThrow(/unsupported database "mysql:\/\/root:\*\*\*@.*use postgres:\/\/.*sqlite:/);
    await expect(openStore('')).rejects.toThrow(/no database given/);
  });

  it('refuses a file that is not a SQLite database, and leaves it as it was', async () => {
    const file = sqliteTestFile('corrupt');
    const garbage = 'this is not a database, it is a shopping list\n'.repeat(200);
    writeFileSync(file, garbage);
    const error = await failureOf(openStore(file));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/cannot open SQLite store .*corrupt\.db: the file is not a SQLite database or is damaged/);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  it('refuses a database migrated by a newer Threadline', async () => {
    const file = sqliteTestFile('newer');
    const store = await openStore(file);
    const latest = (await store.schemaVersion()).latest;
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.pragma(`user_version = ${latest + 1}`);
    db.close();
    await expect(openStore(file)).rejects.toThrow(new RegExp(`schema version ${latest + 1}, newer than this Threadline knows \\(${latest}\\): upgrade threadline`));

    const url = pgTestUrl('newer');
    const pgStore = await openStore(url);
    const pgLatest = (await pgStore.schemaVersion()).latest;
    await pgStore.close();
    await pgAdminQuery(`INSERT INTO "${new URL(url).searchParams.get('schema')}".schema_migrations (version) VALUES (${pgLatest + 1})`);
    await expect(openStore(url)).rejects.toThrow(/newer than this Threadline knows/);
  });

  it('accepts every SQLite form and a schema in the Postgres URL', async () => {
    const file = sqliteTestFile('forms');
    for (const db of [file, `sqlite://${file}`, `sqlite:${file}`, ':memory:']) {
      const store = await openStore(db);
      expect(store.kind).toBe('sqlite');
      await store.close();
    }
    const url = pgTestUrl('schema_form');
    const store = await openStore(url);
    await store.appendTurn('s', [{ role: 'user', content: 'hi' }]);
    await store.close();
    const schema = new URL(url).searchParams.get('schema');
    expect(await pgAdminQuery(`SELECT count(*)::int AS n FROM "${schema}".messages`)).toEqual([{ n: 1 }]);
  });
});
