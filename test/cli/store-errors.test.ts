import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/run-cli.js';
import { explainStoreError } from '../../src/cli/store-errors.js';
import { StoreNotReadyError } from '../../src/store/errors.js';

// These failures come in the middle of a command (the tests run as root, for whom no file is read-only), so the
// translation is tested on the driver's errors themselves.
describe('explainStoreError: the one place where store failures become a line and exit 3', () => {
  it('a SQLite write on a read-only file names the file and what to check', () => {
    const driver = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    const explained = explainStoreError(driver, 'data/bot.db') as Error;
    expect(explained.message).toBe(
      `cannot write to SQLite store ${path.resolve('data/bot.db')}: it is read-only; check the permissions of the file and of its directory (SQLite writes its journal next to it)`,
    );
    expect(exitCodeFor(explained)).toBe(3);
  });

  it('a Postgres connection that ends mid-command names the store without its password', () => {
    const explained = explainStoreError(new Error('Connection terminated unexpectedly'), 'postgres://app:secret@db.internal/threadline') as Error;
    expect(explained.message).toBe(
      'lost store postgres://app:***@db.internal/threadline: Connection terminated unexpectedly; check that the database is up and reachable, then try again',
    );
    expect(exitCodeFor(explained)).toBe(3);
  });

  it('an old schema asks for migrate, with the URL as passed (schema included, password redacted)', () => {
    const db = 'postgres://app:secret@db/threadline?schema=bots';
    const explained = explainStoreError(new StoreNotReadyError('postgres://app:***@db/threadline', 2, 5), db) as Error;
    expect(explained.message).toBe(
      'the store at postgres://app:***@db/threadline has schema version 2, this Threadline needs 5: bring it up to date with "threadline persistence migrate --db postgres://app:***@db/threadline?schema=bots"',
    );
    expect(exitCodeFor(explained)).toBe(3);
  });

  it('anything else passes unchanged', () => {
    const bug = new TypeError('x is undefined');
    expect(explainStoreError(bug, 'bot.db')).toBe(bug);
    expect(exitCodeFor(bug)).toBe(1);
  });
});
