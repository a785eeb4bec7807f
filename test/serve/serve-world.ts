/**
 * Real `threadline serve` processes for tests: started through the compiled CLI on a test database, with keys made by
 * `threadline keys create`, and an SSE reader over fetch (eventsource-parser), as an HTTP client would do it.
 */
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { pgTestUrl } from '../support/databases.js';
import { CLI_MAIN } from '../support/cli-build.js';
import { runTs, spawnTs, type TsProcess } from '../support/processes.js';

export const SERVE_ENV = { OPENAI_API_KEY: 'test-key', THREADLINE_LOG_LEVEL: 'warn', NO_COLOR: '1' };

export interface ServeProcess {
  url: string;
  process: TsProcess;
  stop(): Promise<void>;
}

export async function startServeProcess(db: string, args: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawnTs(CLI_MAIN, ['serve', '--db', db, '--port', '0', ...args], { env: { ...SERVE_ENV, ...env } });
  const line = await child.waitForLine(/listening on http:\/\/\S+/, 60_000);
  const url = /(http:\/\/\S+)/.exec(line)![1];
  return {
    url,
    process: child,
    stop: async () => {
      child.kill('SIGTERM');
      await child.exited;
    },
  };
}

export async function createKey(db: string, name: string, prefix?: string): Promise<string> {
  const result = await runTs(CLI_MAIN, ['keys', 'create', '--name', name, '--db', db, '--json', ...(prefix ? ['--sessions-prefix', prefix] : [])], { env: SERVE_ENV });
  if (result.code !== 0) throw new Error(`keys create failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { key: string }).key;
}

export interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

export interface SseOptions {
  /** Stop reading (and drop the connection) once this returns true for an event. */
  until?: (event: SseEvent, all: SseEvent[]) => boolean;
}

/** Sends the request and reads its SSE answer to the end (or until `until`): the events, and the response. */
export async function readSse(url: string, init: RequestInit, options: SseOptions = {}): Promise<{ response: Response; events: SseEvent[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const events: SseEvent[] = [];
  if (!response.ok || !response.body) return { response, events };
  let stop = false;
  const parser = createParser({
    onEvent: (message) => {
      if (stop) return;
      const event: SseEvent = { event: message.event ?? 'message', id: message.id, data: JSON.parse(message.data) };
      events.push(event);
      if (options.until?.(event, events)) stop = true;
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (stop) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (!stop) throw error;
  }
  return { response, events };
}

export function bearer(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extra };
}

/** The text an SSE client shows: deltas appended, a reset clearing them. */
export function shownText(events: SseEvent[]): string {
  let text = '';
  for (const e of events) {
    if (e.event === 'reset') text = '';
    if (e.event === 'delta') text += e.data.text;
  }
  return text;
}

export interface ServeWorld {
  db: string;
  serve: ServeProcess;
  /** An operator key (no sessions prefix). */
  key: string;
  /** A key scoped to sessions starting with `acme:`. */
  scoped: string;
  llm: FakeOpenAI;
}

/**
 * For a describe block: one `serve` on a fresh Postgres schema with the fake LLM (one attempt per message, no rate
 * limit), an operator key and an `acme:`-scoped key, up before the tests and stopped after them. Read it in tests.
 */
export function serveWorld(label: string): ServeWorld {
  const world = { db: pgTestUrl(label) } as ServeWorld;
  beforeAll(async () => {
    world.llm = await startFakeOpenAI();
    world.key = await createKey(world.db, 'ops');
    world.scoped = await createKey(world.db, 'acme', 'acme:');
    world.serve = await startServeProcess(world.db, ['--model', 'fake-model', '--base-url', world.llm.baseURL, '--rate-limit', '0', '--max-attempts', '1']);
  });
  afterAll(async () => {
    await world.serve?.stop();
    await world.llm?.close();
  });
  return world;
}
