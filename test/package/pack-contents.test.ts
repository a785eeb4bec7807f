import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** What `npm pack` would put in the tarball (no scripts run: the build is the test setup's). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
}

it('the packed package holds its license, the CLI and every file README.md links to', () => {
  const files = packedFiles();
  const links = [...readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]);
  expect(links.length).toBeGreaterThan(3);
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'package.json', 'dist/src/cli/main.js', 'dist/src/index.d.ts', ...links]));
  // The web pages of threadline serve: copied next to their compiled module by the build.
  const web = ['chat.html', 'admin.html', 'app.css', 'api.js', 'dom.js', 'chat.js', 'admin.js', 'icon.svg', 'web-routes.js'];
  expect(files).toEqual(expect.arrayContaining(web.map((name) => `dist/src/serve/web/${name}`)));
  // Sources and tests stay out: the package is the compiled code.
  expect(files.filter((f) => f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
});

it('zod is a peer dependency, so the schemas a user hands to defineTool come from the same zod as Threadline uses', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  expect(pkg.peerDependencies?.zod).toBe('^4.0.0');
  expect(pkg.dependencies?.zod).toBeUndefined();
});
