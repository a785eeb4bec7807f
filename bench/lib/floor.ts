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
  await client.query('CREATE TEMP TABLE floor_probe (id bigserial PRIMARY KEY, body text)');
  const samples = await timeEach(iterations, 20, () => client.query('INSERT INTO floor_probe (body) VALUES ($1)', ['x']));
  await client.end();
  return samples;
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
