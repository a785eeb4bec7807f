import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startOwnedPostgres, type OwnedPostgres } from './owned-postgres.js';

export interface FileOwnedPostgres {
  /** The server (set once the file's `beforeAll` has run). */
  readonly server: OwnedPostgres;
  /** A database URL on a fresh schema of that server, named after `label`. */
  freshDb(label: string): string;
}

/**
 * A Postgres this test file owns, so its tests may stop, restart or break it: started before the file's tests, up
 * again after each one (a test that failed half-way may leave it stopped), stopped after them. `cleanup` runs after
 * each test before the server is started again (kill the test's processes first, so none of them sees it come back).
 */
export function postgresForThisFile(cleanup: () => Promise<void>): FileOwnedPostgres {
  let server: OwnedPostgres | undefined;
  beforeAll(async () => {
    server = await startOwnedPostgres();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    await cleanup();
    await server?.start();
  });
  return {
    get server() {
      if (!server) throw new Error('the owned Postgres is not started yet: use it inside a test or hook');
      return server;
    },
    freshDb: (label) => `${server!.url}?schema=${label}_${randomBytes(3).toString('hex')}`,
  };
}
