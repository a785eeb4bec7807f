import { fork } from 'node:child_process';

/**
 * Run `count` worker processes of `script`, start them together once all are ready (so process start-up is not
 * timed), and return the wall time until the last one finished.
 */
export async function runWorkers(script: string, argsFor: (i: number) => string[], count: number): Promise<number> {
  const children = Array.from({ length: count }, (_, i) =>
    fork(new URL(script, import.meta.url).pathname, argsFor(i), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))));
  const start = performance.now();
  const done = children.map(
    (c) =>
      new Promise<void>((resolve, reject) => {
        c.once('message', () => resolve());
        c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`))));
      }),
  );
  for (const c of children) c.send('go');
  await Promise.all(done);
  const elapsed = performance.now() - start;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  return elapsed;
}
