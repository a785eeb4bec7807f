import Database from 'better-sqlite3';
import pg from 'pg';
import { timeEach } from './stats.js';

/**
 * The floor of any durable turn: one single-row INSERT committed with the server's default durability
 * (Postgres: synchronous_commit on; SQLite: WAL with synchronous=FULL, as the store uses).
 */
export async function postgresFloor(url: string, iterations: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // A regular table: a TEMP table is not WAL-logged, so its commit would skip the flush that makes it durable.
  const table = `threadline_floor_probe_${process.pid}`;
  await client.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, body text)`);
  try {
    return await timeEach(iterations, 20, () => client.query({ name: 'floor', text: `INSERT INTO ${table} (body) VALUES ($1)`, values: ['x'] }));
  } finally {
    await client.query(`DROP TABLE ${table}`);
    await client.end();
  }
}

/** One round trip that does nothing (SELECT 1): what every extra statement of a turn costs at least. */
export async function postgresRoundTrip(url: string, iterations: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await timeEach(iterations, 20, () => client.query({ name: 'rtt', text: 'SELECT 1' }));
  } finally {
    await client.end();
  }
}

export async function sqliteFloor(file: string, iterations: number): Promise<number[]> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE floor_probe (id INTEGER PRIMARY KEY, body TEXT)');
  const insert = db.prepare('INSERT INTO floor_probe (body) VALUES (?)');
  const samples = await timeEach(iterations, 20, async () => insert.run('x'));
  db.close();
  return samples;
}
