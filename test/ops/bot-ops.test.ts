import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { postgresForThisFile } from '../support/owned-postgres-per-file.js';
import { killAll } from '../support/processes.js';
import { spawnWorker, startWorker, startWorld, stopWorker, textsIn, type Worker, type World } from '../telegram/bot-harness.js';

// `threadline bot telegram --ops-port 0` (long polling) on a Postgres this file owns, so it can stop and start it.
let world: World | undefined;
let blocker: Server | undefined;
const owned = postgresForThisFile(async () => {
  await killAll();
  await world?.close();
  world = undefined;
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
});
const { freshDb } = owned;

/** The ops server's address, from the worker's "ops server listening" log line (it listens on port 0). */
async function opsUrlOf(worker: Worker): Promise<string> {
  const line = await worker.proc.waitForLine(/"msg":"ops server listening"/, 10_000);
  const { port, url } = JSON.parse(line) as { port: number; url: string };
  expect(url).toBe(`http://127.0.0.1:${port}`);
  return url;
}

const get = async (url: string) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

/** The value of one sample (`name{labels}` exactly as Prometheus prints it), or undefined when absent. */
const sample = (page: string, series: string): number | undefined => {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('ops endpoints of a bot process', { timeout: 120_000 }, () => {
  it('/healthz, /readyz and /metrics on a Telegram worker; /readyz follows the store away and back', async () => {
    // Slow enough that queued messages are seen pending.
    world = await startWorld(freshDb('ops'), async (request) => ({ ...(await defaultHandler(request)), delayMs: 700 }));
    const { tg } = world;
    // Every series of the worker is labelled with its runner's queue: the bot's.
    const queue = `telegram:${tg.botInfo.id}`;
    const worker = await startWorker(world, { args: ['--ops-port', '0'] });
    const ops = await opsUrlOf(worker);

    expect(await get(`${ops}/healthz`)).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    // Ready once this worker polls (it takes the polling lease just after starting).
    await eventually('/readyz 200', async () => ((await get(`${ops}/readyz`)).status === 200 ? true : undefined), 15_000);
    expect(await get(`${ops}/readyz`)).toMatchObject({ status: 200, text: '{"status":"ready"}' });

    for (const text of ['one', 'two', 'three']) tg.pushUpdate(tg.textUpdate({ chatId: 41, userId: 41, text }));
    // Answered one by one, slowly: the ones behind are pending meanwhile, and the oldest one ages.
    const busy = await eventually(
      'pending entries in the gauge',
      async () => {
        const page = (await get(`${ops}/metrics`)).text;
        return (sample(page, `threadline_inbox_pending{queue="${queue}"}`) ?? 0) >= 1 ? page : undefined;
      },
      15_000,
    );
    expect(sample(busy, `threadline_inbox_oldest_pending_age_seconds{queue="${queue}"}`)).toBeGreaterThanOrEqual(0);
    await tg.waitFor((f) => f.messagesInChat(41).filter((m) => m.text.endsWith('messages)')).length === 3, 20_000);

    const page = await eventually(
      'three answered turns in the metrics',
      async () => {
        const metrics = await get(`${ops}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
        return sample(metrics.text, `threadline_turns_total{queue="${queue}",outcome="answered"}`) === 3 ? metrics.text : undefined;
      },
      10_000,
    );
    expect(sample(page, `threadline_turns_total{queue="${queue}",outcome="dead"}`)).toBe(0);
    expect(sample(page, `threadline_turn_duration_seconds_count{queue="${queue}",outcome="answered"}`)).toBe(3);
    expect(sample(page, `threadline_turn_duration_seconds_sum{queue="${queue}",outcome="answered"}`)).toBeGreaterThanOrEqual(3 * 0.7);
    expect(sample(page, `threadline_llm_call_duration_seconds_count{queue="${queue}",result="ok"}`)).toBe(3);
    expect(sample(page, `threadline_session_lock_wait_seconds_count{queue="${queue}"}`)).toBeGreaterThanOrEqual(1);
    expect(sample(page, `threadline_dead_letters_total{queue="${queue}"}`)).toBe(0);
    expect(sample(page, `threadline_inbox_pending{queue="${queue}"}`)).toBe(0);
    expect(sample(page, `threadline_inbox_oldest_pending_age_seconds{queue="${queue}"}`)).toBe(0);
    expect(sample(page, `threadline_inbox_dead{queue="${queue}"}`)).toBe(0);
    expect(sample(page, 'threadline_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(1);
    expect(sample(page, 'threadline_metrics_scrape_errors_total{source="inbox"}')).toBe(0);
    expect(page).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

    // The store goes away: unready, with the reason; still alive, and /metrics still answers (without the inbox).
    await owned.server.stop();
    const unready = await eventually(
      '/readyz 503',
      async () => {
        const readyz = await get(`${ops}/readyz`);
        return readyz.status === 503 ? (JSON.parse(readyz.text) as { status: string; reason: string }) : undefined;
      },
      15_000,
    );
    expect(unready).toEqual({ status: 'unready', reason: expect.stringMatching(/^the store (does not answer: |did not answer within)/) });
    expect(unready.reason).not.toContain('\n');
    expect(unready.reason).not.toContain(owned.server.password);
    expect((await get(`${ops}/healthz`)).status).toBe(200);
    const away = await get(`${ops}/metrics`);
    expect(away.status).toBe(200);
    expect(sample(away.text, `threadline_inbox_pending{queue="${queue}"}`)).toBeUndefined();
    expect(sample(away.text, 'threadline_metrics_scrape_errors_total{source="inbox"}')).toBeGreaterThanOrEqual(1);
    expect(sample(away.text, `threadline_turns_total{queue="${queue}",outcome="answered"}`)).toBe(3);

    // Back: ready again once the store answers and the worker polls again.
    await owned.server.start();
    await eventually('/readyz 200 again', async () => ((await get(`${ops}/readyz`)).status === 200 ? true : undefined), 30_000);
    tg.pushUpdate(tg.textUpdate({ chatId: 41, userId: 41, text: 'four' }));
    // The reply streams in by edits: wait for its last one.
    await tg.waitFor((f) => f.messagesInChat(41).filter((m) => m.text.endsWith('messages)')).length === 4, 20_000);
    expect(textsIn(tg, 41).at(-1)).toMatch(/^reply to: four \(saw \d+ messages\)$/);
    await eventually(
      'the fourth answered turn',
      async () => (sample((await get(`${ops}/metrics`)).text, `threadline_turns_total{queue="${queue}",outcome="answered"}`) === 4 ? true : undefined),
      10_000,
    );

    await stopWorker(worker);
    // Closed with the process.
    await expect(fetch(`${ops}/healthz`)).rejects.toThrow();
  });

  it('refuses an ops port already taken in one line, exit 2, before touching the store', async () => {
    world = await startWorld(sqliteTestFile('ops_taken'));
    blocker = createServer();
    const taken = await new Promise<number>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));
    const proc = spawnWorker(world, { args: ['--ops-port', String(taken)] });
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    expect(proc.stderrText).toBe(`threadline: could not serve the ops endpoints on 127.0.0.1:${taken}: EADDRINUSE (choose another --ops-port or --ops-host)\n`);
    expect(existsSync(world.db)).toBe(false);
  });
});
