// tsc compiles src/ to dist/ but copies nothing else: the web pages' HTML, CSS, JS and SVG files go next to the
// compiled web-routes.js here, so `threadline serve` finds them in dist/ (and `files: ["dist"]` ships them).
import { cpSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
cpSync(path.join(root, 'src/serve/web'), path.join(root, 'dist/src/serve/web'), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
