import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/core/agent.js';
import { defineTool } from '../../src/core/tools.js';
import { openStore } from '../../src/store/open-store.js';
import type { StoredMessage } from '../../src/store/types.js';
import { defaultHandler, startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { BACKENDS } from '../store/backends.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll, runTs, type TsRunResult } from '../support/processes.js';
import { CLI_MAIN } from '../support/cli-build.js';

const MAIN = CLI_MAIN;
const WORKERS = 4;
const TURNS_EACH = 10;

let llm: FakeOpenAI;
beforeAll(async () => {
  llm = await startFakeOpenAI();
});
afterAll(() => llm.close());
afterEach(() => killAll());

/** The CLI from source, with only the environment a test gives it. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<TsRunResult> {
  return runTs(MAIN, args, {
    env: {
      THREADLINE_DB: undefined,
      DATABASE_URL: undefined,
      OPENAI_MODEL: undefined,
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'test-key',
      ...env,
    },
  });
}

/** A failure is one line on stderr and a non-zero exit: never a stack trace. */
function expectOneLineFailure(result: TsRunResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** Everything an export/import keeps (creation times to the millisecond, which is what the export writes). */
const comparable = (messages: StoredMessage[]) =>
  messages.map(({ role, content, name, toolCalls, toolCallId, metadata, turn, createdAt }) => ({
    role,
    content,
    name,
    toolCalls,
    toolCallId,
    metadata,
    turn,
    createdAt: createdAt.toISOString(),
  }));

describe.each(BACKENDS)('$name: threadline persistence', ({ freshDb }) => {
  it(`${WORKERS} processes x ${TURNS_EACH} resume --continue: complete turns in order, each request carrying all earlier turns`, async () => {
    const db = freshDb('cli_hammer');
    (await openStore(db)).close(); // migrate once up front
    const firstRequest = llm.requests.length;
    const worker = async (w: number) => {
      for (let t = 0; t < TURNS_EACH; t++) {
        const result = await cli(['persistence', 'resume', '--session-id', 'shared', '--conversation-url', db, '--model', 'fake-model', '--create', '--continue', `w${w} t${t}`]);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`^reply to: w${w} t${t} \\(saw \\d+ messages\\)\\n$`));
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    const store = await openStore(db);
    const history = await store.fullHistory('shared');
    await store.close();
    expect(history).toHaveLength(2 * WORKERS * TURNS_EACH);
    for (let i = 0; i < history.length; i += 2) {
      expect([history[i].role, history[i + 1].role]).toEqual(['user', 'assistant']);
      expect(history[i + 1].turn).toBe(history[i].turn);
      expect(history[i + 1].content).toBe(`reply to: ${history[i].content} (saw ${i + 2} messages)`);
    }
    for (let w = 0; w < WORKERS; w++) {
      const mine = history.filter((m) => m.role === 'user' && m.content!.startsWith(`w${w} `)).map((m) => m.content);
      expect(mine).toEqual(Array.from({ length: TURNS_EACH }, (_, t) => `w${w} t${t}`));
    }
    // The requests reached the model in commit order, each holding every turn committed before it.
    const requests = llm.requests.slice(firstRequest);
    expect(requests).toHaveLength(WORKERS * TURNS_EACH);
    requests.forEach((request, k) => {
      expect(request.messages.slice(1).map((m) => m.content)).toEqual([...history.slice(0, 2 * k).map((m) => m.content), history[2 * k].content]);
    });

    const shown = await cli(['persistence', 'resume', '--session-id', 'shared', '--conversation-url', db, '--show-history', '--json']);
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as { messages: unknown[] }).messages).toHaveLength(history.length);
    // 40 CLI processes: about 30 s on an idle 2-core machine, far longer when other suites share it.
  }, 400_000);

  it('export then import (twice) copies sessions with their tool calls exactly; a broken line imports nothing', async () => {
    const source = freshDb('cli_export_src');
    const target = freshDb('cli_export_dst');
    llm.setHandler((request) =>
      request.messages.at(-1)?.role === 'tool'
        ? { content: 'done adding' }
        : request.messages.at(-1)?.content === 'add 2 and 3'
          ? { toolCalls: [{ name: 'add', arguments: '{"a":2,"b":3}' }] }
          : defaultHandler(request),
    );
    const add = defineTool({ name: 'add', description: 'Adds', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
    const agent = new Agent({
      name: 'Calc',
      instructions: 'Add.',
      tools: [add],
      llm: { model: 'fake-model', apiKey: 'test-key', baseURL: llm.baseURL, maxRetries: 0 },
      memory: { db: source, sessionId: 'calc', mirrorRuntimeState: true },
    });
    agent.setRuntimeState('native', { 'turn-1': { toolCallIds: ['call_fake_0'] } });
    await agent.start('add 2 and 3');
    await agent.start('thanks', { name: 'Zoë' });
    await agent.close();
    llm.setHandler(defaultHandler);

    const file = `${sqliteTestFile('export')}.jsonl`;
    const exported = await cli(['persistence', 'export', 'calc', '--db', source, '--output', file]);
    expect(exported.stderr).toBe(`exported 1 session (6 messages) to ${file}\n`);
    expect(exported.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('"toolCalls":[{"id":"call_fake_0"');

    const first = await cli(['persistence', 'import', file, '--db', target, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ sessions: 1, sessionsChanged: 1, messagesImported: 6 });
    const second = await cli(['persistence', 'import', file, '--db', target, '--json']);
    expect(JSON.parse(second.stdout)).toEqual({ sessions: 1, sessionsChanged: 0, messagesImported: 0 });

    const [from, to] = [await openStore(source), await openStore(target)];
    expect(comparable(await to.fullHistory('calc'))).toEqual(comparable(await from.fullHistory('calc')));
    expect(await to.getRuntimeState('calc')).toEqual(await from.getRuntimeState('calc'));
    expect((await to.getSession('calc'))?.version).toBe(2);
    await from.close();

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const broken = `${sqliteTestFile('broken')}.jsonl`;
    writeFileSync(broken, [lines[0], lines[1].replaceAll('"calc"', '"other"'), lines[2].replaceAll('"calc"', '"other"'), '{"type":"message",', ''].join('\n'));
    const failed = await cli(['persistence', 'import', broken, '--db', target]);
    expectOneLineFailure(failed, /line 4: not valid JSON.*nothing was imported/);
    expect(await to.getSession('other')).toBeNull();
    await to.close();
  });
});

describe('threadline persistence: media in exports', () => {
  it('export writes the media a session refers to once, in base64; import stores them (checked against their SHA-256)', async () => {
    const source = sqliteTestFile('media_src');
    const target = sqliteTestFile('media_dst');
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const from = await openStore(source);
    await from.putMedia({ hash, mimeType: 'image/png', bytes });
    const ref = { media: [{ kind: 'image', hash, mimeType: 'image/png', size: bytes.length }] };
    await from.appendTurn('pics', [{ role: 'user', content: '[image image/png 8 bytes]', metadata: ref }, { role: 'assistant', content: 'a picture' }]);
    await from.appendTurn('pics', [{ role: 'user', content: '[image image/png 8 bytes]\nagain', metadata: ref }, { role: 'assistant', content: 'the same one' }]);
    await from.close();

    const file = `${sqliteTestFile('media_export')}.jsonl`;
    expect((await cli(['persistence', 'export', 'pics', '--db', source, '--output', file])).code).toBe(0);
    const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((r) => r.type === 'media')).toEqual([
      { type: 'media', hash, mimeType: 'image/png', size: bytes.length, createdAt: expect.any(String), base64: bytes.toString('base64') },
    ]);

    const imported = await cli(['persistence', 'import', file, '--db', target, '--json']);
    expect(JSON.parse(imported.stdout)).toMatchObject({ sessions: 1, messagesImported: 4 });
    const to = await openStore(target);
    expect((await to.getMedia(hash))?.bytes.equals(bytes)).toBe(true);
    expect((await to.fullHistory('pics'))[0].metadata).toEqual(ref);
    await to.close();

    // Bytes that do not match their digest import nothing.
    const tampered = `${sqliteTestFile('media_tampered')}.jsonl`;
    writeFileSync(tampered, readFileSync(file, 'utf8').replace(bytes.toString('base64'), Buffer.from('other').toString('base64')));
    expectOneLineFailure(await cli(['persistence', 'import', tampered, '--db', sqliteTestFile('media_none')]), /do not match its SHA-256.*nothing was imported/);
  });
});

describe('threadline persistence: bad input and housekeeping', () => {
  it('unknown flags, a missing session id, an unreachable database, a missing session, no LLM configured', async () => {
    const db = sqliteTestFile('bad_input');
    const [unknown, missingId, unreachable, noSession, noKey, bothModes] = await Promise.all([
      cli(['persistence', 'list', '--db', db, '--bogus']),
      cli(['persistence', 'resume', '--conversation-url', db, '--show-history']),
      cli(['persistence', 'resume', '--session-id', 's', '--show-history', '--conversation-url', 'postgres://nobody:secret@127.0.0.1:1/none']),
      cli(['persistence', 'resume', '--session-id', 'ghost', '--conversation-url', db, '--show-history']),
      cli(['persistence', 'resume', '--session-id', 's', '--conversation-url', db, '--continue', 'hi'], { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }),
      cli(['persistence', 'resume', '--session-id', 's', '--conversation-url', db, '--continue', 'hi', '--show-history']),
    ]);
    expectOneLineFailure(unknown, /unknown option '--bogus'/);
    expectOneLineFailure(missingId, /required option '--session-id <id>' not specified/);
    expectOneLineFailure(unreachable, /^threadline: cannot open Postgres store postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: connection refused/);
    expect(unreachable.stderr).not.toContain('secret');
    expect(unreachable.code).toBe(3);
    expectOneLineFailure(noSession, /^threadline: no Threadline store at .*bad_input\.db: create one with "threadline persistence migrate --db .*bad_input\.db"$/m);
    expect(noSession.code).toBe(3);
    expectOneLineFailure(noKey, /set OPENAI_API_KEY.*or use --model echo/);
    expectOneLineFailure(bothModes, /cannot be used with option/);

    // Nothing above created the store.
    expect(existsSync(db)).toBe(false);
  });

  it('list, show, delete, migrate and doctor', async () => {
    const db = sqliteTestFile('housekeeping');
    const turn = await cli(['persistence', 'resume', '--session-id', 'user-1-main', '--conversation-url', db, '--model', 'echo', '--create', '--continue', 'hello']);
    expect(turn.stdout).toBe('echo: hello (offline echo model; 0 earlier messages in this conversation)\n');

    const [list, show, migrate, doctor, doctorDown, refused] = await Promise.all([
      cli(['persistence', 'list', '--json'], { THREADLINE_DB: db }),
      cli(['persistence', 'show', 'user-1-main', '--json'], { DATABASE_URL: db }),
      cli(['persistence', 'migrate', '--db', db]),
      cli(['persistence', 'doctor', '--db', db, '--model', 'fake-model']),
      cli(['persistence', 'doctor', '--db', db, '--model', 'fake-model', '--base-url', 'http://127.0.0.1:1/v1']),
      cli(['persistence', 'delete', 'user-1-main', '--db', db]),
    ]);
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((s) => s.id)).toEqual(['user-1-main']);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: 'user-1-main', messageCount: 2, metadata: { agentName: 'threadline' } });
    expect(migrate.stdout).toMatch(/schema version \d+ \(latest \d+\), up to date/);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^ok +llm: model fake-model answers$/m);
    expect(doctorDown.code).not.toBe(0);
    expect(doctorDown.stdout).toMatch(/^FAIL +llm: could not connect to LLM endpoint 127\.0\.0\.1:1/m);
    // The quick-start state: no key, no endpoint. Nothing is broken; the LLM check says it was skipped.
    const quickStart = await cli(['persistence', 'doctor', '--db', db], { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined });
    expect(quickStart.code).toBe(0);
    expect(quickStart.stdout).toMatch(/^skip +llm: skipped: no endpoint configured/m);
    expectOneLineFailure(refused, /pass --yes/);

    const deleted = await cli(['persistence', 'delete', 'user-1-main', '--db', db, '--yes']);
    expect(deleted.stdout).toBe('deleted session user-1-main (2 messages)\n');
    expectOneLineFailure(await cli(['persistence', 'show', 'user-1-main', '--db', db]), /no session "user-1-main"/);
  });
});
