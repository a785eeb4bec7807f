import { afterEach, describe, expect, it } from 'vitest';
import { postWebhookUpdate } from '../fakes/fake-telegram-server.js';
import { pgAdminQuery, pgTestUrl, schemaOf } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import {
  chatSession,
  loggedErrors,
  pairs,
  startWorker,
  startWorld,
  stopWorker,
  textsIn,
  userTexts,
  WEBHOOK_SECRET,
  withStore,
  type World,
} from './bot-harness.js';

let world: World | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

describe('threadline bot telegram: workers dying on Postgres', () => {
  it('failover: the standby takes over polling when the leader is SIGKILLed mid-stream; every update answered once', async () => {
    // Slow enough that turns are in flight when the leader dies.
    world = await startWorld(pgTestUrl('tg_failover'), async (request) => ({ ...(await defaultHandler(request)), delayMs: 150 }));
    const { tg, llm } = world;
    await withStore(world.db, async () => {});
    const leader = await startWorker(world);
    await leader.proc.waitForLine(/"msg":"polling Telegram for updates"/);
    const standby = await startWorker(world);
    await standby.proc.waitForLine(/standing by to take over/);

    const chats = [301, 302, 303, 304];
    const sent = new Map<number, string[]>(chats.map((c) => [c, []]));
    const push = (round: number) => {
      for (const chatId of chats) {
        const text = `c${chatId} r${round}`;
        sent.get(chatId)!.push(text);
        tg.pushUpdate(tg.textUpdate({ chatId, userId: chatId, text }));
      }
    };
    for (let round = 0; round < 3; round++) push(round);
    // Mid-stream: some replies are out, others are still pending or being written.
    await tg.waitFor((f) => f.messages.filter((m) => m.text.endsWith(')')).length >= 4, 15_000);
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    for (let round = 3; round < 6; round++) push(round);
    // The bound: the standby polls within 10 s of the leader's death.
    await standby.proc.waitForLine(/"msg":"polling Telegram for updates"/, 10_000);
    const takeover = Date.now() - killedAt;
    await tg.waitFor((f) => chats.every((c) => f.messagesInChat(c).filter((m) => m.text.endsWith(')')).length >= 6), 30_000).catch((error: Error) => {
      const shown = chats.map((c) => `${c}: ${JSON.stringify(textsIn(tg, c))}`).join('\n');
      const logs = standby.proc.stdoutLines.filter((l) => /"level":[4-6]\d/.test(l)).slice(-20).join('\n');
      throw new Error(`${error.message.slice(0, 300)}\nchats:\n${shown}\nstandby warnings:\n${logs}\nstderr: ${standby.proc.stderrText.slice(-1000)}`);
    });
    await stopWorker(standby);
    console.log(`failover: standby polling ${takeover} ms after SIGKILL of the leader`);

    let orphans = 0;
    for (const chatId of chats) {
      const texts = sent.get(chatId)!;
      // A first chunk Telegram took in the instant before the leader recorded its message id (SIGKILL between the
      // two) is a message no worker knows of: the one window where a reply can show twice (README, "When things
      // fail"). Such a stray is a strict prefix of the reply after it; at most one per chat, as one stream was cut.
      const shown = textsIn(tg, chatId);
      const strays = shown.filter((text, i) => i + 1 < shown.length && !text.endsWith(')') && shown[i + 1].startsWith(text));
      expect(strays.length).toBeLessThanOrEqual(1);
      orphans += strays.length;
      const replies = shown.filter((text) => !strays.includes(text));
      // Exactly one whole reply per update, in order, each from a request with the whole history before it.
      expect(replies).toEqual(texts.map((t, i) => `reply to: ${t} (saw ${2 * i + 2} messages)`));
      await withStore(world.db, async (store) => {
        expect(pairs(await store.fullHistory(chatSession(chatId)))).toEqual(texts.flatMap((t, i) => [['user', t], ['assistant', replies[i]]]));
      });
    }
    if (orphans > 0) console.log(`failover: ${orphans} first chunk(s) posted in the instant before their id was recorded`);
    // A turn cut short by the kill may have been asked again; no update was answered from a stale history.
    for (const request of llm.requests) {
      const users = userTexts(request);
      const chat = Number(/^c(\d+)/.exec(users.at(-1)!)![1]);
      expect(users).toEqual(sent.get(chat)!.slice(0, users.length));
    }
    expect(loggedErrors(standby)).toEqual([]);
  });

  it('crash mid-turn: another worker answers the message, editing the partial reply; stored once, no partial turn', async () => {
    const full = 'The complete answer, streamed in several words, finally arrives here.';
    let calls = 0;
    world = await startWorld(pgTestUrl('tg_crash'), () =>
      // The first attempt streams some text, then stalls forever: its worker is killed in the middle of it.
      ++calls === 1 ? { content: 'The complete answer, streamed', stallMidStream: true } : { content: full },
    );
    const { tg, llm } = world;
    await withStore(world.db, async () => {});
    const doomed = await startWorker(world, { webhook: true });
    const survivor = await startWorker(world, { webhook: true });
    const update = tg.textUpdate({ chatId: 77, userId: 77, text: 'tell me everything' });
    expect((await postWebhookUpdate(doomed.webhookUrl!, update, WEBHOOK_SECRET)).status).toBe(200);
    await tg.waitFor((f) => f.messagesInChat(77).length === 1, 15_000);
    const schema = schemaOf(world.db);
    // The partial reply's message id is recorded before the kill, so the retry edits it instead of posting again.
    await waitUntil(async () => (await pgAdminQuery(`SELECT 1 FROM ${schema}.inbox_replies`)).length === 1);
    // Whichever worker took the turn is the one stalled in the LLM call: kill that one.
    expect(llm.requests).toHaveLength(1);
    const holder = await turnHolder([doomed, survivor]);
    expect(holder).toBeDefined();
    holder!.proc.kill('SIGKILL');
    const other = holder === doomed ? survivor : doomed;

    await tg.waitFor((f) => f.messagesInChat(77).at(-1)?.text === full, 15_000);
    await stopWorker(other);
    expect(llm.requests).toHaveLength(2);
    expect(textsIn(tg, 77)).toEqual([full]);
    expect(tg.edits.at(-1)?.text).toBe(full);
    await withStore(world.db, async (store) => {
      expect(pairs(await store.fullHistory(chatSession(77)))).toEqual([
        ['user', 'tell me everything'],
        ['assistant', full],
      ]);
    });
    expect(loggedErrors(other)).toEqual([]);
  });
});

/**
 * The worker running the turn holds the session's lock on its Postgres connection; the other one does not.
 * Postgres knows each connection by its client port: the holder is the worker owning the connection that
 * holds a granted advisory lock.
 */
async function turnHolder<W extends { proc: { child: { pid?: number } } }>(workers: W[]): Promise<W | undefined> {
  const rows = await pgAdminQuery<{ client_port: number }>(
    `SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`,
  );
  const ports = new Set(rows.map((r) => r.client_port));
  for (const worker of workers) {
    if ((await clientPortsOf(worker.proc.child.pid!)).some((port) => ports.has(port))) return worker;
  }
  return undefined;
}

/** Local TCP ports of a process's sockets, from /proc (Linux). */
async function clientPortsOf(pid: number): Promise<number[]> {
  const { readdir, readlink, readFile } = await import('node:fs/promises');
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match) inodes.add(match[1]);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) ports.push(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
