import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs } from '../support/processes.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * What a user gets from the tarball, not from this checkout: `npm pack` (dist/ is already built by the global
 * setup, so no scripts run), unpacked into an empty project's node_modules. Its dependencies are this checkout's
 * node_modules, linked in: installing them again would compile better-sqlite3 from source (~1.5 min).
 */
let project = '';
let packProblem: string | undefined;

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'threadline-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT, encoding: 'utf8' });
    const [{ filename }] = JSON.parse(out) as { filename: string }[];
    execFileSync('tar', ['-xzf', path.join(project, filename), '-C', project]);
  } catch (error) {
    packProblem = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return;
  }
  mkdirSync(path.join(project, 'node_modules'));
  const installed = path.join(project, 'node_modules/threadline');
  renameSync(path.join(project, 'package'), installed);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(installed, 'node_modules'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the packed package, installed in an empty project', () => {
  it('resumes a session across two processes through `import { Agent } from "threadline"`', async (context) => {
    if (packProblem) return context.skip(`npm pack failed here: ${packProblem}`);
    const script = path.join(project, 'seed.mjs');
    writeFileSync(
      script,
      `import { Agent } from 'threadline';
const agent = new Agent({ name: 'Bot', instructions: 'Be brief.', llm: { model: 'echo' }, memory: { db: process.argv[2], sessionId: 'seed' } });
console.log(await agent.start('hello'));
await agent.close();
`,
    );
    const db = path.join(project, 'seed.db');
    const first = await runTs(script, [db], { cwd: project });
    const second = await runTs(script, [db], { cwd: project });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/echo: hello .*\b0 earlier messages/);
    expect(second.stdout).toMatch(/echo: hello .*\b2 earlier messages/);
  });

  it('typechecks a strict NodeNext TypeScript file that imports it', (context) => {
    if (packProblem) return context.skip(`npm pack failed here: ${packProblem}`);
    writeFileSync(path.join(project, 'use.ts'), `import { Agent } from 'threadline';\nconst agent: Agent = new Agent({ name: 'Bot', instructions: 'Hi.', llm: { model: 'echo' }, memory: { db: ':memory:' } });\nexport const reply: Promise<string> = agent.start('hello');\n`);
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      // The package's declarations use Node's types, as a Node user's project has them: this checkout's.
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, typeRoots: [path.join(ROOT, 'node_modules/@types')], types: ['node'] },
        files: ['use.ts'],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
