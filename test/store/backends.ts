import { pgTestUrl, sqliteTestFile } from '../support/databases.js';

/** Every store test runs on both backends: a fresh Postgres schema, or a fresh SQLite file. */
export const BACKENDS = [
  { name: 'postgres', freshDb: (label: string) => pgTestUrl(label) },
  { name: 'sqlite', freshDb: (label: string) => sqliteTestFile(label) },
] as const;
