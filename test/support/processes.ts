import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** tsx's loader as a file URL, so `--import` finds it whatever the child's cwd is. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface SpawnTsOptions {
  /** Added to this process's environment; a key set to undefined is left out of the child's. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed; without it (or `openStdin`) the child gets no stdin at all. */
  input?: string;
  /** Leave stdin open for the test to write to, and end, through `child.stdin` (a user typing, line by line). */
  openStdin?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TsProcess {
  readonly child: ChildProcess;
  /** Complete lines seen so far; grows while the process runs. */
  readonly stdoutLines: string[];
  readonly stderrLines: string[];
  readonly stdoutText: string;
  readonly stderrText: string;
  /** Resolves once stdout and stderr are closed too, so the line arrays are then complete. */
  readonly exited: Promise<Exit>;
  /** The first line (seen already or later) matching `pattern`; rejects if the process ends or `timeoutMs` passes first. */
  waitForLine(pattern: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface TsRunResult extends Exit {
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

// A test file that ends (passed, failed or timed out) must not leave servers or bots behind. Vitest stops its
// fork workers with SIGTERM, which skips 'exit' handlers, so both are covered; the SIGTERM is then re-raised
// so the worker still ends the way Vitest expects.
function killRunningNow(): void {
  for (const child of running) child.kill('SIGKILL');
}
process.on('exit', killRunningNow);
process.once('SIGTERM', () => {
  killRunningNow();
  process.kill(process.pid, 'SIGTERM');
});

/**
 * Starts `node --import tsx <script> ...args` (plain `node` for a compiled `.js` script, such as `CLI_MAIN`) and
 * captures its output line by line.
 */
export function spawnTs(script: string, args: string[] = [], options: SpawnTsOptions = {}): TsProcess {
  const loader = script.endsWith('.js') ? [] : ['--import', TSX_LOADER];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: [options.input === undefined && !options.openStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  if (options.input !== undefined) child.stdin?.end(options.input);

  const output = { stdout: new LineCollector(), stderr: new LineCollector() };
  child.stdout?.on('data', (chunk: Buffer) => output.stdout.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.stderr.add(chunk));

  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => {
      // Spawn itself failed (no 'close' follows): report it the way a failed child would.
      output.stderr.add(Buffer.from(`could not start ${script}: ${error.message}\n`));
      output.stdout.end();
      output.stderr.end();
      running.delete(child);
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => {
      output.stdout.end();
      output.stderr.end();
      running.delete(child);
      resolve({ code, signal });
    });
  });

  return {
    child,
    stdoutLines: output.stdout.lines,
    stderrLines: output.stderr.lines,
    get stdoutText() {
      return output.stdout.text;
    },
    get stderrText() {
      return output.stderr.text;
    },
    exited,
    waitForLine(pattern, timeoutMs = 15_000, stream = 'stdout') {
      return waitForLine(output[stream], exited, pattern, timeoutMs, () => describe(script, output.stderr.text));
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Runs a TS script to completion and returns its exit and full output. */
export async function runTs(script: string, args: string[] = [], options: SpawnTsOptions = {}): Promise<TsRunResult> {
  const child = spawnTs(script, args, options);
  const exit = await child.exited;
  return { ...exit, stdout: child.stdoutText, stderr: child.stderrText };
}

/** Kills every child still running and waits until they are gone; meant for `afterEach(killAll)`. */
export async function killAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill(signal);
        }),
    ),
  );
}

class LineCollector {
  readonly lines: string[] = [];
  text = '';
  private partial = '';
  private listeners = new Set<(line: string) => void>();
  private endListeners = new Set<() => void>();
  private ended = false;

  add(chunk: Buffer): void {
    const piece = chunk.toString('utf8');
    this.text += piece;
    const parts = (this.partial + piece).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.push(line);
  }

  end(): void {
    if (this.ended) return;
    if (this.partial !== '') this.push(this.partial);
    this.partial = '';
    this.ended = true;
    for (const listener of this.endListeners) listener();
  }

  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onEnd(listener: () => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  private push(line: string): void {
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
  }
}

function waitForLine(
  output: LineCollector,
  exited: Promise<Exit>,
  pattern: RegExp,
  timeoutMs: number,
  context: () => string,
): Promise<string> {
  const seen = output.lines.find((line) => pattern.test(line));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const stopWatching = () => {
      clearTimeout(timer);
      offLine();
      offEnd();
    };
    const timer = setTimeout(() => {
      stopWatching();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms from ${context()}`));
    }, timeoutMs);
    const offLine = output.onLine((line) => {
      if (!pattern.test(line)) return;
      stopWatching();
      resolve(line);
    });
    const offEnd = output.onEnd(() => {
      stopWatching();
      void exited.then(({ code, signal }) =>
        reject(new Error(`process ended (code ${code}, signal ${signal}) before printing a line matching ${pattern}: ${context()}`)),
      );
    });
  });
}

function describe(script: string, stderr: string): string {
  const tail = stderr.trim().split('\n').slice(-20).join('\n');
  return tail ? `${script}; its stderr ends with:\n${tail}` : `${script} (no stderr)`;
}
