import pg from 'pg';
import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import { postWebhookUpdate } from '../fakes/fake-telegram-server.js';
import {
  chatSession,
  freePort,
  pairs,
  spawnWorker,
  startWorker,
  startWorld,
  stopWorker,
  textsIn,
  WEBHOOK_SECRET,
  withStore,
  type Worker,
  type World,
} from '../telegram/bot-harness.js';
import { eventually } from '../support/eventually.js';
import { postgresForThisFile } from '../support/owned-postgres-per-file.js';
import { killAll } from '../support/processes.js';

// `threadline bot telegram` webhook workers on a Postgres this file owns, so it can terminate backends and restart it.
let world: World | undefined;
const owned = postgresForThisFile(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});
const { freshDb } = owned;
const reply = (text: string, seen: number) => `reply to: ${text} (saw ${seen} messages)`;

/** Posts the update as Telegram does: a 5xx (the store unreachable) is posted again until it is accepted. */
async function deliver(worker: Worker, update: Update): Promise<void> {
  await eventually(`update ${update.update_id} accepted`, async () => {
    const { status } = await postWebhookUpdate(worker.webhookUrl!, update, WEBHOOK_SECRET).catch(() => ({ status: 0 }));
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return undefined;
  });
}

/** Terminates the backend that holds a session lock (an advisory lock of the worker's pool, 'threadline'). */
async function terminateTurnHolder(): Promise<number> {
  const admin = new pg.Client({ connectionString: owned.server.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `WITH holders AS MATERIALIZED (
         SELECT DISTINCT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
          WHERE a.application_name = 'threadline' AND l.locktype = 'advisory' AND l.granted)
       SELECT pid FROM holders WHERE pg_terminate_backend(pid)`,
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Waits until the chat's session holds `count` messages. */
const committedMessages = (db: string, chatId: number, count: number) =>
  eventually(`${count} committed messages in chat ${chatId}`, () =>
    withStore(db, async (store) => ((await store.fullHistory(chatSession(chatId))).length === count ? true : undefined)),
  20_000);

const alive = (worker: Worker) => worker.proc.child.exitCode === null && worker.proc.child.signalCode === null;
/** What a worker wrote to stderr besides Node's deprecation notes: an unhandled 'error' event would be here. */
const stderrOf = (worker: Worker) => worker.proc.stderrLines.filter((line) => line.trim() !== '' && !/DeprecationWarning|trace-deprecation/.test(line));

describe('threadline bot telegram on a Postgres that goes away', { timeout: 40_000 }, () => {
  it('the lock holder terminated mid-turn: the worker lives on and the message is answered exactly once', async () => {
    world = await startWorld(freshDb('tg_terminated'), async (request) => ({ ...(await defaultHandler(request)), delayMs: 1_500 }));
    const { tg, llm } = world;
    const worker = await startWorker(world, { webhook: true });
    await deliver(worker, tg.textUpdate({ chatId: 501, userId: 501, text: 'slow question' }));
    // The turn is waiting on the LLM, holding the session's lock on its pooled connection.
    await eventually('the LLM request', () => (llm.requests.length === 1 ? true : undefined), 10_000);
    expect(await terminateTurnHolder()).toBe(1);

    // The turn that lost its lock cannot commit; the runner backs off and answers the entry again.
    await committedMessages(world.db, 501, 2);
    expect(alive(worker)).toBe(true);
    expect(stderrOf(worker)).toEqual([]);
    await stopWorker(worker);
    expect(textsIn(tg, 501)).toEqual([reply('slow question', 2)]);
    await withStore(world.db, async (store) => {
      expect(pairs(await store.fullHistory(chatSession(501)))).toEqual([
        ['user', 'slow question'],
        ['assistant', reply('slow question', 2)],
      ]);
    });
  });

  it('Postgres restarted under an idle worker: later updates are answered', async () => {
    world = await startWorld(freshDb('tg_restart'));
    const { tg } = world;
    const worker = await startWorker(world, { webhook: true });
    await deliver(worker, tg.textUpdate({ chatId: 601, userId: 601, text: 'before' }));
    // Idle means committed: a restart between posting a reply and recording it would have it posted again.
    await committedMessages(world.db, 601, 2);

    await owned.server.restart();
    const acceptingAt = Date.now();
    await deliver(worker, tg.textUpdate({ chatId: 601, userId: 601, text: 'after' }));
    await deliver(worker, tg.textUpdate({ chatId: 602, userId: 602, text: 'new chat after' }));
    await tg.waitFor((f) => f.messagesInChat(601).length === 2 || f.messagesInChat(602).length === 1, 20_000);
    console.log(`restart: first reply ${Date.now() - acceptingAt} ms after Postgres accepted connections again`);
    await tg.waitFor((f) => f.messagesInChat(601).length === 2 && f.messagesInChat(602).length === 1, 20_000);
    expect(alive(worker)).toBe(true);
    expect(stderrOf(worker)).toEqual([]);
    await stopWorker(worker);
    expect(textsIn(tg, 601)).toEqual([reply('before', 2), reply('after', 4)]);
    expect(textsIn(tg, 602)).toEqual([reply('new chat after', 2)]);
  });

  it('a worker started while Postgres is down waits for it, logging each attempt, then answers', async () => {
    world = await startWorld(freshDb('tg_late'));
    const { tg } = world;
    await owned.server.stop();
    const port = await freePort();
    const webhookUrl = `http://127.0.0.1:${port}/tg`;
    const proc = spawnWorker(world, { webhook: true }, webhookUrl, port);
    await proc.waitForLine(/"attempt":2,.*database not reachable yet/, 20_000);
    await owned.server.start();
    const acceptingAt = Date.now();
    await proc.waitForLine(/"msg":"bot runner started"/, 20_000);
    await deliver({ proc, webhookUrl }, tg.textUpdate({ chatId: 701, userId: 701, text: 'are you up?' }));
    await tg.waitFor((f) => f.messagesInChat(701).length === 1, 10_000);
    console.log(`late start: first reply ${Date.now() - acceptingAt} ms after Postgres accepted connections`);
    await stopWorker({ proc });

    const waiting = proc.stdoutLines.filter((line) => /database not reachable yet/.test(line));
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    for (const line of waiting) {
      expect(JSON.parse(line)).toMatchObject({ level: 40, reason: expect.stringMatching(/connection refused|starting up/) });
      expect(line).not.toContain(owned.server.password);
    }
    expect(textsIn(tg, 701)).toEqual([reply('are you up?', 2)]);
  });

  it('SIGTERM while waiting for Postgres: exit 0, nothing on stderr', async () => {
    world = await startWorld(freshDb('tg_sigterm'));
    await owned.server.stop();
    const proc = spawnWorker(world);
    await proc.waitForLine(/database not reachable yet/, 20_000);
    proc.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    expect(proc.stderrText).toBe('');
  });

  it.each([
    { name: 'a missing database', db: () => owned.server.url.replace(/\/test$/, '/no_such_db'), says: /database no_such_db does not exist/ },
    { name: 'a wrong password', db: () => owned.server.url.replace(owned.server.password, 'wrong-secret-pw'), says: /refused user postgres/ },
  ])('$name: exit 3 at once with one line on stderr, no password in it', async ({ db, says }) => {
    world = await startWorld(db());
    const proc = spawnWorker(world);
    expect((await proc.exited).code).toBe(3);
    expect(proc.stderrLines.filter((line) => line.trim() !== '')).toEqual([expect.stringMatching(says)]);
    expect(proc.stderrText).not.toContain(owned.server.password);
    expect(proc.stderrText).not.toContain('wrong-secret-pw');
    expect(proc.stdoutText).not.toMatch(/database not reachable yet/);
  });
});
