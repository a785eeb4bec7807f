import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The compiled CLI. Bot and CLI tests start it as child processes by the dozen: compiled, each starts in about a
 * second; through tsx, several seconds on a loaded machine.
 */
export const CLI_MAIN = path.join(ROOT, 'dist/src/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * What `npm run build` does, unless `dist/` is already newer than every source file (as after `npm ci`): compile
 * `src/` and `adapters/`, and copy the web pages' files next to their compiled module.
 */
export function ensureCliBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI_MAIN).mtimeMs;
  } catch {
    // not built yet
  }
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'adapters')));
  if (built > sources) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/copy-web-assets.mjs')], { stdio: 'inherit' });
}
