// `npm run bench`: every benchmark section, each printing a table whose ratios compare figures measured in this run.
import { benchAgent } from './agent-overhead.js';
import { benchBot } from './bot-e2e.js';
import { benchHttp } from './http-turns.js';
import { benchStore } from './store-turns.js';
import { cleanUp, postgresAnswers, PG_URL } from './lib/targets.js';

const sections = (process.argv[2] ?? 'store,agent,bot,http').split(',');
const pg = await postgresAnswers();
if (!pg) console.log(`Postgres at ${new URL(PG_URL).host} does not answer: Postgres rows are skipped (set BENCH_DATABASE_URL).`);
try {
  if (sections.includes('store')) {
    if (pg) await benchStore('postgres');
    await benchStore('sqlite');
  }
  if (sections.includes('agent')) {
    if (pg) await benchAgent('postgres');
    await benchAgent('sqlite');
  }
  // Worker processes on Postgres only: several workers on one SQLite file is not a supported deployment.
  if (sections.includes('bot') && pg) await benchBot();
  // serve processes on Postgres, for the same reason.
  if (sections.includes('http') && pg) await benchHttp();
} finally {
  if (pg) await cleanUp();
}
