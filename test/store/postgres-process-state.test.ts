import pg from 'pg';
import { expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { pgTestUrl } from '../support/databases.js';

it('a Postgres store parses its bigint counters as numbers without changing how other pg users in the process parse them', async () => {
  const db = pgTestUrl('process_state');
  const store = await openStore(db);
  try {
    await store.appendTurn('s', [{ role: 'user', content: 'hi' }]);
    expect((await store.getSession('s'))?.version).toBe(1);
    expect((await store.enqueueInbox({ sessionId: 's', eventKey: 'e', payload: {} })).id).toEqual(expect.any(Number));
    const other = new pg.Client({ connectionString: db });
    await other.connect();
    try {
      expect((await other.query<{ n: unknown }>('SELECT 5::bigint AS n')).rows[0].n).toBe('5');
    } finally {
      await other.end();
    }
  } finally {
    await store.close();
  }
});
