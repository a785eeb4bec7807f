import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { startFakeTelegram } from '../fakes/fake-telegram-server.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { pgAdminQuery, pgTestUrl, schemaOf, sqliteTestFile } from '../support/databases.js';
import { runTs, type TsRunResult } from '../support/processes.js';

/** The CLI with no store or model from the environment: each row says what it uses. */
const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  runTs(CLI_MAIN, args, { env: { THREADLINE_DB: undefined, DATABASE_URL: undefined, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, ...env } });

interface Row {
  name: string;
  args: string[];
  code: number;
  /** The whole of stderr: empty, or one line (a RegExp is matched against that line). */
  stderr: string | RegExp;
  stdout?: RegExp;
}

const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const noStore = (file: string) =>
  `threadline: no Threadline store at ${file}: create one with "threadline persistence migrate --db ${file}"\n`;
const noSession = (id: string, file: string, hint = 'check the id with "threadline persistence list"') => `threadline: no session "${id}" in ${file}: ${hint}\n`;

function expectRow(row: Row, result: TsRunResult): void {
  const seen = { name: row.name, code: result.code, stderr: result.stderr };
  if (typeof row.stderr === 'string') expect(seen).toEqual({ name: row.name, code: row.code, stderr: row.stderr });
  else {
    expect(seen).toEqual({ name: row.name, code: row.code, stderr: expect.stringMatching(/^[^\n]*\n$/) });
    expect(result.stderr.trimEnd()).toMatch(row.stderr);
  }
  expect(result.stderr).not.toMatch(/^ {4}at /m);
  if (row.stdout) expect(result.stdout).toMatch(row.stdout);
}

/** Rows run a few at a time: the machine is shared, and each row is a Node process. */
async function runRows(rows: Row[], parallel = 6): Promise<void> {
  for (let i = 0; i < rows.length; i += parallel) {
    const batch = rows.slice(i, i + parallel);
    const results = await Promise.all(batch.map((row) => cli(row.args)));
    batch.forEach((row, k) => expectRow(row, results[k]));
  }
}

/** A SQLite store with two sessions and one dead inbox entry. */
async function seed(db: string): Promise<{ dead: number; done: number }> {
  const store = await openStore(db);
  try {
    await store.appendTurn('s1', [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi there' }]);
    await store.appendTurn('s2', [{ role: 'user', content: 'bye' }]);
    const payload = { text: 'are you there?', chatId: '1' };
    const dead = (await store.enqueueInbox({ sessionId: 'tg:1', eventKey: 'tg:7:101', queue: 'telegram', payload })).id!;
    const done = (await store.enqueueInbox({ sessionId: 'tg:1', eventKey: 'tg:7:102', queue: 'telegram', payload })).id!;
    await store.withSessionLock('tg:1', async (s) => {
      await s.claimInbox(2, 'host-a:11');
      await s.completeInbox([dead], 'dead', { stage: 'delivering', errorClass: 'permanent', error: 'Bad Request: message is too long' });
      await s.appendTurn([{ role: 'user', content: 'are you there?' }, { role: 'assistant', content: 'yes' }], { completeInbox: [done] });
    });
    return { dead, done };
  } finally {
    await store.close();
  }
}

describe('threadline: every command x {ok, bad input, no store} gives its exit code and one line on stderr', () => {
  let db: string;
  let missing: string;
  let ids: { dead: number; done: number };
  beforeAll(async () => {
    db = sqliteTestFile('table');
    missing = sqliteTestFile('missing');
    ids = await seed(db);
  });

  it('persistence and inbox commands on SQLite', async () => {
    const exportFile = join(dirname(db), 'in.jsonl');
    writeFileSync(
      exportFile,
      [
        '{"format":"threadline-export","version":1}',
        '{"type":"session","id":"imp","createdAt":"2026-01-01T00:00:00.000Z","metadata":{}}',
        '{"type":"message","sessionId":"imp","seq":1,"turn":1,"role":"user","content":"hi"}',
        '',
      ].join('\n'),
    );
    const importTarget = sqliteTestFile('import_target');
    const migrateTarget = sqliteTestFile('migrate_target');
    const directory = join(dirname(db), 'a-directory');
    mkdirSync(directory);
    const usage = (line: string) => `threadline: ${line} (add --help for usage)\n`;

    await runRows([
      { name: 'list ok', args: ['persistence', 'list', '--db', db], code: 0, stderr: '' },
      { name: 'list bad', args: ['persistence', 'list', '--db', db, '--limt', '3'], code: 2, stderr: usage("unknown option '--limt' (did you mean --limit?)") },
      { name: 'list no store', args: ['persistence', 'list', '--db', missing], code: 3, stderr: noStore(missing) },
      { name: 'list directory', args: ['persistence', 'list', '--db', directory], code: 3, stderr: `threadline: cannot open SQLite store ${directory}: ${directory} is a directory: pass a file path, such as ${directory}/threadline.db\n` },

      { name: 'show ok', args: ['persistence', 'show', 's1', '--db', db], code: 0, stderr: '', stdout: /^session {3}s1\n[\s\S]*\nruntimes  none\n\n\[1\] user: hello\n\[2\] assistant: hi there\n$/ },
      { name: 'show --json', args: ['persistence', 'show', 's1', '--db', db, '--json'], code: 0, stderr: '', stdout: /"messageCount": 2,[\s\S]*"messages": \[[\s\S]*"content": "hi there"/ },
      { name: 'show bad', args: ['persistence', 'show', 'ghost', '--db', db], code: 2, stderr: noSession('ghost', db) },
      { name: 'show no store', args: ['persistence', 'show', 's1', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'export ok', args: ['persistence', 'export', 's1', '--db', db], code: 0, stderr: '' },
      { name: 'export bad', args: ['persistence', 'export', '--db', db], code: 2, stderr: 'threadline: say what to export: session ids, --all, or --prefix <text> (one of them)\n' },
      { name: 'export no store', args: ['persistence', 'export', '--all', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'import ok (creates its store)', args: ['persistence', 'import', exportFile, '--db', importTarget], code: 0, stderr: '', stdout: /^imported 1 message into 1 session in .*import_target\.db\n$/ },
      { name: 'import bad', args: ['persistence', 'import', `${exportFile}.nope`, '--db', db], code: 2, stderr: `threadline: cannot read ${exportFile}.nope: no such file\n` },
      { name: 'import missing argument', args: ['persistence', 'import', '--db', db], code: 2, stderr: usage("missing required argument 'file'") },

      { name: 'delete ok', args: ['persistence', 'delete', 's2', '--yes', '--db', db], code: 0, stderr: '' },
      { name: 'delete bad', args: ['persistence', 'delete', 'ghost', '--yes', '--db', db], code: 2, stderr: noSession('ghost', db) },
      { name: 'delete no store', args: ['persistence', 'delete', 's1', '--yes', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'migrate ok (creates the store)', args: ['persistence', 'migrate', '--db', migrateTarget], code: 0, stderr: '' },
      { name: 'migrate bad', args: ['persistence', 'migrate', '--db', 'ftp://example.com/x'], code: 2, stderr: /^threadline: unsupported database "ftp:\/\/example\.com\/x": use postgres:\/\// },
      { name: 'migrate directory', args: ['persistence', 'migrate', '--db', directory], code: 3, stderr: new RegExp(`^threadline: cannot open SQLite store ${quote(directory)}: ${quote(directory)} is a directory`) },

      { name: 'doctor ok', args: ['persistence', 'doctor', '--db', db, '--model', 'echo'], code: 0, stderr: '' },
      { name: 'doctor bad', args: ['persistence', 'doctor', '--db', db, '--model', 'echo', '--json', 'yes'], code: 2, stderr: usage("too many arguments for 'doctor'. Expected 0 arguments but got 1.") },
      { name: 'doctor no store', args: ['persistence', 'doctor', '--db', missing, '--model', 'echo'], code: 3, stderr: 'threadline: doctor found problems with: database, schema\n' },

      { name: 'resume ok', args: ['persistence', 'resume', '--session-id', 's1', '--show-history', '--conversation-url', db], code: 0, stderr: '' },
      {
        name: 'resume unknown session without --create',
        args: ['persistence', 'resume', '--session-id', 'ghost', '--continue', 'hi', '--model', 'echo', '--db', db],
        code: 2,
        stderr: noSession('ghost', db, 'check the id with "threadline persistence list", or pass --create to start it'),
      },
      { name: 'resume conflicting options', args: ['persistence', 'resume', '--session-id', 's1', '--db', db, '--conversation-url', db, '--show-history'], code: 2, stderr: usage("option '--conversation-url <url>' cannot be used with option '--db <url>'") },
      { name: 'resume --create with --show-history', args: ['persistence', 'resume', '--session-id', 's1', '--db', db, '--create', '--show-history'], code: 2, stderr: usage("option '--create' cannot be used with option '--show-history'") },
      { name: 'resume no store', args: ['persistence', 'resume', '--session-id', 's1', '--show-history', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'inbox ls ok', args: ['inbox', 'ls', '--db', db], code: 0, stderr: '' },
      { name: 'inbox ls bad', args: ['inbox', 'ls', '--db', db, '--limit', '0'], code: 2, stderr: usage("option '--limit <n>' argument '0' is invalid. expected a whole number from 1 to 1000") },
      { name: 'inbox ls no store', args: ['inbox', 'ls', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'inbox explain ok', args: ['inbox', 'explain', String(ids.dead), '--db', db], code: 0, stderr: '' },
      { name: 'inbox explain bad', args: ['inbox', 'explain', '999', '--db', db], code: 2, stderr: 'threadline: no inbox entry 999: pass an inbox id, event key or platform event id from "threadline inbox ls"\n' },
      { name: 'inbox explain no store', args: ['inbox', 'explain', '1', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'inbox retry ok', args: ['inbox', 'retry', String(ids.dead), '--db', db], code: 0, stderr: '' },
      { name: 'inbox retry bad', args: ['inbox', 'retry', String(ids.done), '--db', db], code: 2, stderr: `threadline: inbox entry ${ids.done} is done, not dead: only dead entries can be retried\n` },
      { name: 'inbox retry no store', args: ['inbox', 'retry', '1', '--db', missing], code: 3, stderr: noStore(missing) },

      { name: 'serve bad port', args: ['serve', '--port', '70000', '--db', db], code: 2, stderr: usage(`option '--port <port>' argument '70000' is invalid. expected a whole number from 0 to 65535, got "70000"`) },
      { name: 'serve bad concurrency', args: ['serve', '--concurrency', '0', '--db', db], code: 2, stderr: usage(`option '--concurrency <n>' argument '0' is invalid. expected a whole number from 1, got "0"`) },
    ]);

    // The commands that only read created nothing where there was no store; the ones that write did their job.
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(importTarget) && existsSync(migrateTarget)).toBe(true);
  });

  describe('Postgres', () => {
    let closer: Server;
    let closerPort: number;
    let resetter: Server;
    let resetterPort: number;
    const listen = async (server: Server) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    };
    beforeAll(async () => {
      // Accepts a connection and closes it at once: node-postgres then says "Connection terminated unexpectedly"
      // (or, when the close races the startup message, ECONNRESET).
      closer = createServer((socket) => socket.destroy());
      closerPort = await listen(closer);
      // Accepts a connection and resets it (TCP RST): ECONNRESET every time.
      resetter = createServer((socket) => socket.resetAndDestroy());
      resetterPort = await listen(resetter);
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => closer.close(() => resolve()));
      await new Promise<void>((resolve) => resetter.close(() => resolve()));
    });

    it('no store in the schema (none created), and a server that closes the connection', async () => {
      const url = pgTestUrl('no_store');
      const redacted = url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
      const [list, terminated, reset] = await Promise.all([
        cli(['persistence', 'list', '--db', url]),
        cli(['persistence', 'migrate', '--db', `postgres://app:secret@127.0.0.1:${closerPort}/threadline`]),
        cli(['persistence', 'migrate', '--db', `postgres://app:secret@127.0.0.1:${resetterPort}/threadline`]),
      ]);
      expectRow({ name: 'list no store', args: [], code: 3, stderr: new RegExp(`^threadline: no Threadline store at .*: create one with "threadline persistence migrate --db ${quote(redacted)}"$`) }, list);
      expect(await pgAdminQuery('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schemaOf(url)])).toEqual([]);
      expectRow(
        {
          name: 'migrate on a server that closes',
          args: [],
          code: 3,
          stderr: `threadline: cannot open Postgres store postgres://app:***@127.0.0.1:${closerPort}/threadline: 127.0.0.1:${closerPort} closed the connection before answering: check that a Postgres server listens there and that the host/port in the URL are right\n`,
        },
        terminated,
      );
      expectRow(
        {
          name: 'migrate on a server that resets',
          args: [],
          code: 3,
          stderr: `threadline: cannot open Postgres store postgres://app:***@127.0.0.1:${resetterPort}/threadline: 127.0.0.1:${resetterPort} closed the connection before answering: check that a Postgres server listens there and that the host/port in the URL are right\n`,
        },
        reset,
      );
    });
  });

  it('--help ends with examples and the exit codes; --conversation-url is listed only where it was documented', async () => {
    const [list, resume] = await Promise.all([cli(['persistence', 'list', '--help']), cli(['persistence', 'resume', '--help'])]);
    for (const help of [list, resume]) {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples:\n {2}\$ threadline persistence \w+ .*\n[\s\S]*\nExit codes: 0 ok, 2 bad input, 3 store unavailable, missing or busy, 4 LLM failure, 5 platform unreachable, 1 a bug \(please report it\)\.\n$/);
      expect(help.stdout).toContain('--db <url>');
    }
    expect(list.stdout).not.toContain('--conversation-url');
    expect(resume.stdout).toContain('--conversation-url <url>');
  });

  // The prompt needs a terminal: util-linux `script` gives the CLI one (its output then mixes stdout and stderr).
  it.skipIf(!existsSync('/usr/bin/script'))('answering n at the delete prompt is a choice: "not deleted", exit 0, the session kept', async () => {
    const child = spawn('/usr/bin/script', ['-qec', `${process.execPath} ${CLI_MAIN} persistence delete s1 --db ${db}`, '/dev/null'], {
      env: { ...process.env, THREADLINE_DB: undefined, DATABASE_URL: undefined },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end('n\n');
    const [code] = (await once(child, 'exit')) as [number];
    expect(output).toMatch(/Delete session "s1" and its 2 messages\? \[y\/N\][\s\S]*\nnot deleted\r?\n$/);
    expect(code).toBe(0);
    const store = await openStore(db);
    expect(await store.getSession('s1')).not.toBeNull();
    await store.close();
  });

  it('a bot whose platform refuses its token exits 2 with one line', async () => {
    const fake = await startFakeTelegram({ token: '123:right' });
    try {
      const refused = await cli(['bot', 'telegram', '--token', '123:wrong', '--api-root', fake.apiRoot, '--db', db, '--model', 'echo']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe('threadline: Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN / --token (from @BotFather)\n');
    } finally {
      await fake.close();
    }
  });

  it('a bot token is never printed; THREADLINE_DEBUG=1 or --log-level debug adds the stack trace', async () => {
    const [telegram, debug, debugLevel] = await Promise.all([
      cli(['bot', 'telegram', '--token', 'abc', '--api-root', 'http://127.0.0.1:9/', '--db', db, '--model', 'echo']),
      runTs(CLI_MAIN, ['persistence', 'list', '--db', missing], { env: { THREADLINE_DB: undefined, DATABASE_URL: undefined, THREADLINE_DEBUG: '1' } }),
      cli(['bot', 'console', '--model', 'echo', '--db', dirname(db), '--log-level', 'debug']),
    ]);
    // The platform did not answer: exit 5, and one line.
    expect(telegram.code).toBe(5);
    expect(telegram.stderr.trim().split('\n')).toHaveLength(1);
    expect(telegram.stderr).toMatch(/could not reach the Telegram Bot API at 127\.0\.0\.1:9/);
    expect(telegram.stderr).not.toContain('abc');
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^ {4}at /m);
    expect(debugLevel.code).toBe(3);
    expect(debugLevel.stderr).toMatch(/is a directory[\s\S]*\n {4}at /);
  });
});
