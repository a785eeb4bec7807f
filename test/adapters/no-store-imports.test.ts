import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADAPTERS = path.join(ROOT, 'adapters');
const STORE = path.join(ROOT, 'src', 'store');

/** Every specifier a module names: static imports and re-exports (`… from '…'`), bare `import '…'`, and `import('…')`. */
const SPECIFIERS = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** The imports of `text` (the source of `file`) that resolve into src/store/, as `path: specifier`. */
function storeImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  return [...text.matchAll(SPECIFIERS)]
    .map((match) => match[1] ?? match[2] ?? match[3])
    .filter((specifier) => specifier.startsWith('.') && path.resolve(path.dirname(file), specifier).startsWith(STORE + path.sep))
    .map((specifier) => `${path.relative(ROOT, file)}: ${specifier}`);
}

describe('adapters depend on the runner, never on the store', () => {
  it('finds the adapters and their imports (the check below looks at something)', () => {
    const files = sourceFiles(ADAPTERS);
    expect(files.length).toBeGreaterThan(10);
    // The runner's lease seam is imported, and it is recognised as an import: the pattern matches real code.
    expect(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(SPECIFIERS)].map((m) => m[1] ?? m[2] ?? m[3]))).toContain(
      '../../src/runner/lease-provider.js',
    );
    // A store import would be caught, in each form.
    const file = path.join(ADAPTERS, 'telegram', 'x.ts');
    const source = [
      "import type { Lease } from '../../src/store/types.js';",
      "export { isStoreUnreachable } from '../../src/store/errors.js';",
      "const m = await import('../../src/store/open-store.js');",
      "import { x } from '../../src/runner/x.js';",
    ].join('\n');
    expect(storeImports(file, source)).toHaveLength(3);
  });

  it('no file under adapters/ imports from src/store/ (errors come from src/errors.ts, leases from src/runner/lease-provider.ts)', () => {
    expect(sourceFiles(ADAPTERS).flatMap((file) => storeImports(file))).toEqual([]);
  });
});
