import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { HistoryStore } from '../../src/store/types.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { pgTestUrl, sqliteTestFile } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { killAll, runTs, spawnTs, type SpawnTsOptions, type TsRunResult } from '../support/processes.js';

afterEach(() => killAll());

const CONSOLE = ['bot', 'console', '--model', 'echo'];
/** No database from the environment: each test names its own. */
const ENV = { THREADLINE_DB: undefined, DATABASE_URL: undefined };
const LINES = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`);
/** Bound on every wait for the child; a store locked by the test costs the child one 10 s busy timeout. */
const WAIT_MS = 60_000;

/** Without a session id the console resumes the latest console chat. */
function consoleArgs(db: string, sessionId: string | undefined): string[] {
  return [...CONSOLE, '--db', db, ...(sessionId ? ['--session-id', sessionId] : [])];
}

function runConsole(db: string, sessionId: string | undefined, input: string): Promise<TsRunResult> {
  return runTs(CLI_MAIN, consoleArgs(db, sessionId), { env: ENV, input });
}

function spawnConsole(db: string, sessionId: string, options: SpawnTsOptions) {
  return spawnTs(CLI_MAIN, consoleArgs(db, sessionId), { env: ENV, ...options });
}

/** The lines the echo model answered, in the order they were printed. */
function echoed(stdout: string): string[] {
  return [...stdout.matchAll(/echo: (.*?) \(offline echo model/g)].map((match) => match[1]);
}

async function withStore<T>(db: string, fn: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function storedUserLines(db: string, sessionId: string): Promise<string[]> {
  const history = await withStore(db, (store) => store.fullHistory(sessionId));
  return history.filter((message) => message.role === 'user').map((message) => message.content ?? '');
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('threadline bot console: piped lines', () => {
  // The bug was intermittent on Postgres (lines recorded concurrently on pool connections): three runs. The
  // labels are short because the schema is part of the store's prepared statement names (63 characters at most).
  const cases = [
    ...[1, 2, 3].map((run) => ({ name: `postgres, run ${run}`, db: () => pgTestUrl(`con_order${run}`) })),
    { name: 'sqlite', db: () => sqliteTestFile('console_order') },
  ];
  it.each(cases)('$name: answered and stored in the order they were piped', async ({ db: freshDb }) => {
    const db = freshDb();
    const result = await runConsole(db, 'console-order', `${LINES.join('\n')}\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(echoed(result.stdout)).toEqual(LINES);
    expect(await storedUserLines(db, 'console-order')).toEqual(LINES);
  });
});

describe('threadline bot console: store failures', () => {
  it('a store locked by another process: one line says the line waits, and it is answered once the lock goes', async () => {
    const db = sqliteTestFile('console_locked');
    await withStore(db, async () => {}); // create and migrate before the child opens it
    const child = spawnConsole(db, 'console-locked', { openStdin: true });
    child.child.stdin!.write('one\n');
    await child.waitForLine(/echo: one /, WAIT_MS);
    // The reply is printed before the turn commits: wait until the child has let go of the session, after
    // which it only reads until the next line, so the lock below cannot catch one of its writes.
    await withStore(db, (store) => store.withSessionLock('console-locked', async () => {}, { waitMs: WAIT_MS }));

    // Another process in a write transaction: the child's insert fails with SQLITE_BUSY after its busy timeout.
    const blocker = new Database(db);
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      child.child.stdin!.write('two\n');
      await child.waitForLine(/^the store is unavailable \(database is locked\): waiting to save "two"$/, WAIT_MS, 'stderr');
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await child.waitForLine(/echo: two /, WAIT_MS);
    child.child.stdin!.end('three\n');
    const exit = await child.exited;

    expect(exit.code).toBe(0);
    expect(lines(child.stderrText)).toHaveLength(1);
    expect(echoed(child.stdoutText)).toEqual(['one', 'two', 'three']);
    expect(await storedUserLines(db, 'console-locked')).toEqual(['one', 'two', 'three']);
  });

  it('a store that refuses a line: one line says it was not saved and why, and the next lines go on', async () => {
    const db = sqliteTestFile('console_refused');
    // The tests run as root, which writes to a file whatever its mode: a chmod 0444 file would not fail here.
    // The database itself refuses the write instead (a trigger aborting the insert of that one line), an error
    // that, like a read-only file's, no retry can get past.
    await withStore(db, async () => {});
    const setup = new Database(db);
    setup.exec(`CREATE TRIGGER refuse_two BEFORE INSERT ON inbox WHEN json_extract(NEW.payload, '$.text') = 'two'
                BEGIN SELECT RAISE(ABORT, 'this database refuses the line'); END`);
    setup.close();

    const result = await runConsole(db, 'console-refused', 'one\ntwo\nthree\n');

    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual(['not saved: "two" (this database refuses the line)']);
    expectNoStackTrace(result.stderr);
    expect(echoed(result.stdout)).toEqual(['one', 'three']);
    expect(await storedUserLines(db, 'console-refused')).toEqual(['one', 'three']);
  });
});

describe('threadline bot console: sessions', () => {
  it('two consoles on one file answer only their own session, even lines the other left unanswered', async () => {
    const db = sqliteTestFile('console_two');
    await withStore(db, async (store) => {
      // Console B records its lines but cannot answer them while the test holds its session; then it dies.
      await store.withSessionLock('console-b', async (session) => {
        const b = spawnConsole(db, 'console-b', { input: 'b1\nb2\nb3\n' });
        await eventually('3 lines recorded', async () => ((await session.pendingInbox(10)).length === 3 ? true : undefined), WAIT_MS);
        b.kill('SIGKILL');
        await b.exited;
      });
    });

    // Console A, alone on the file, answers its own lines and leaves B's pending.
    const a = await runConsole(db, 'console-a', `${LINES.join('\n')}\n`);
    expect(a.stderr).toBe('');
    expect(echoed(a.stdout)).toEqual(LINES);
    expect(await withStore(db, (store) => store.pendingInboxSessions(10))).toEqual(['console-b']);

    // B, started again, answers its lines before the new one.
    const b = await runConsole(db, 'console-b', 'b4\n');
    expect(b.stderr).toBe('');
    expect(echoed(b.stdout)).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(await storedUserLines(db, 'console-a')).toEqual(LINES);
    expect(await storedUserLines(db, 'console-b')).toEqual(['b1', 'b2', 'b3', 'b4']);
  });

  it('the banner says new for an unknown --session-id, resumed for a known one, and names the conversation /new switched to', async () => {
    const db = sqliteTestFile('console_banner');
    const banner = (result: TsRunResult) => result.stdout.split('\n')[0];

    const first = await runConsole(db, 'console-x', 'hello\n');
    expect(banner(first)).toMatch(/ - session console-x \(new\) on /);
    const second = await runConsole(db, 'console-x', '/new\n');
    expect(banner(second)).toMatch(/ - session console-x \(resumed\) on /);
    const third = await runConsole(db, 'console-x', 'again\n');
    expect(banner(third)).toMatch(/ - session console-x \(resumed; active conversation console-x~[0-9a-z]+\) on /);
    // The conversation /new started was updated last, but the latest console chat is still console-x.
    const fourth = await runConsole(db, undefined, '');
    expect(banner(fourth)).toBe(banner(third));
    for (const result of [first, second, third, fourth]) expect(result.code).toBe(0);
  });
});

describe('threadline bot console: its own help and logs', () => {
  it('--help shows only flags that mean something in a terminal; /help lists /exit', async () => {
    const help = await runTs(CLI_MAIN, ['bot', 'console', '--help'], { env: ENV });
    expect(help.code).toBe(0);
    expect(help.stdout).not.toMatch(/--allow|--group-policy|--session-scope/);
    // Commander wraps the help to the terminal's width.
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--log-level <level> trace, debug, info, warn or error \(default: \$THREADLINE_LOG_LEVEL, else warn\)/);
    const chat = await runConsole(sqliteTestFile('console_help'), 'console-help', '/help\n');
    expect(chat.stdout).toMatch(/\/help - this list\n\/exit - leave the console/);
  });

  it('logs stay at warn, one short line each, unless THREADLINE_LOG_LEVEL or --log-level asks for more', async () => {
    const db = sqliteTestFile('console_logs');
    // A model endpoint that refuses connections: the runner logs its failure and tells the user.
    const failing = ['bot', 'console', '--model', 'gpt-test', '--base-url', 'http://127.0.0.1:9/v1', '--llm-retry-window', '0.1', '--db', db, '--session-id', 'console-logs'];
    const quiet = await runTs(CLI_MAIN, failing, { env: { ...ENV, OPENAI_API_KEY: 'test' }, input: 'hello\n' });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/Sorry, I could not answer your message: the language model did not answer/);
    expect(lines(quiet.stderr)).toEqual([expect.stringMatching(/^WARN: message dead-lettered$/)]);
    expectNoStackTrace(quiet.stderr);

    const chatty = await runTs(CLI_MAIN, failing, { env: { ...ENV, OPENAI_API_KEY: 'test', THREADLINE_LOG_LEVEL: 'info' }, input: 'again\n' });
    expect(lines(chatty.stderr)).toEqual(expect.arrayContaining([expect.stringMatching(/^INFO: turn dead$/), expect.stringMatching(/^INFO: bot runner started$/)]));
    expectNoStackTrace(chatty.stderr);
  });
});
