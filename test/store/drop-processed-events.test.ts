import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { HistoryStore } from '../../src/store/types.js';
import { pgAdminQuery, schemaOf } from '../support/databases.js';
import { BACKENDS } from './backends.js';

/** The migration that drops processed_events (the unused de-duplication by event id at commit). */
const DROP_MIGRATION = { postgres: 8, sqlite: 7 } as const;
/** The newest schema this code knows: a store opened by it is migrated that far. */
const LATEST = { postgres: POSTGRES_MIGRATIONS.length, sqlite: SQLITE_MIGRATIONS.length } as const;

describe.each(BACKENDS)('$name store upgrade: processed_events goes', ({ name, freshDb }) => {
  const open: HistoryStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('a store from before the drop opens migrated, its history kept and processed_events gone', async () => {
    const db = freshDb('drop_events');
    const previous = DROP_MIGRATION[name] - 1;
    if (name === 'postgres') {
      const schema = `"${schemaOf(db)}"`;
      const steps = POSTGRES_MIGRATIONS.slice(0, previous).map((m) => m(schema));
      await pgAdminQuery(`
        CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        ${steps.join(';\n')};
        INSERT INTO ${schema}.schema_migrations (version) SELECT generate_series(1, ${previous});
        INSERT INTO ${schema}.sessions (id, message_count, version) VALUES ('old', 0, 0);
        INSERT INTO ${schema}.processed_events (event_id, session_id) VALUES ('tg:1', 'old');`);
    } else {
      const raw = new Database(db);
      for (const step of SQLITE_MIGRATIONS.slice(0, previous)) raw.exec(step);
      raw.pragma(`user_version = ${previous}`);
      raw.prepare(`INSERT INTO sessions (id, created_at, updated_at, message_count, version) VALUES ('old', 0, 0, 0, 0)`).run();
      raw.prepare(`INSERT INTO processed_events (event_id, session_id, processed_at) VALUES ('tg:1', 'old', 0)`).run();
      raw.close();
    }

    const store = await openStore(db);
    open.push(store);
    expect(await store.schemaVersion()).toEqual({ current: LATEST[name], latest: LATEST[name] });
    expect(await store.getSession('old')).toMatchObject({ id: 'old', version: 0 });
    expect(await store.appendTurn('old', [{ role: 'user', content: 'hi' }])).toEqual({ firstSeq: 1, lastSeq: 1, version: 1 });

    if (name === 'postgres') {
      const [row] = await pgAdminQuery<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [`"${schemaOf(db)}".processed_events`]);
      expect(row.present).toBe(false);
    } else {
      const raw = new Database(db, { readonly: true });
      try {
        expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'processed_events%'`).all()).toEqual([]);
      } finally {
        raw.close();
      }
    }
  });
});
