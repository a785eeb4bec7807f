import { afterEach, describe, expect, it } from 'vitest';
import { pgTestUrl } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { startWhatsAppWorker, startWhatsAppWorld, stopProcess, waSession, withStore, type WhatsAppWorld } from './whatsapp-harness.js';

const WORKERS = 2;
const USERS = 4;
const MESSAGES_EACH = 8;
/** Every third message is delivered twice, the second time to the other worker at the same moment. */
const REDELIVER_EVERY = 3;

let world: WhatsAppWorld | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

describe('threadline bot whatsapp: workers on Postgres', () => {
  it(`${WORKERS} workers, ${USERS} users sending at once, redeliveries to the other worker: one reply per message, ordered histories`, async () => {
    world = await startWhatsAppWorld(pgTestUrl('wa_workers'));
    const { wa } = world;
    await withStore(world.db, async () => {}); // migrate once, so the workers do not race to create the schema
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWhatsAppWorker(world!)));

    const users = Array.from({ length: USERS }, (_, u) => `1555000${u}`);
    const text = (u: number, i: number) => `u${u} m${i}`;
    // Users send concurrently; one user's next message is sent once the previous one was acknowledged, as Meta
    // does, so each history's order is well defined.
    await Promise.all(
      users.map(async (from, u) => {
        for (let i = 0; i < MESSAGES_EACH; i++) {
          const messageId = `wamid.u${u}m${i}`;
          const first = (u + i) % WORKERS;
          const deliveries = [wa.postInbound(workers[first].webhookUrl, { from, text: text(u, i), messageId })];
          if (i % REDELIVER_EVERY === 0) deliveries.push(wa.postInbound(workers[(first + 1) % WORKERS].webhookUrl, { from, text: text(u, i), messageId }));
          for (const { status, body } of await Promise.all(deliveries)) expect(status, body).toBe(200);
        }
      }),
    );
    await wa.sent.waitFor(() => users.every((from) => wa.sentTo(from).length >= MESSAGES_EACH));
    // A second reply to anything would have been sent by now: both workers stop only after their turns finish.
    await Promise.all(workers.map((worker) => stopProcess(worker.proc)));

    const histories = await withStore(world.db, (store) => Promise.all(users.map((from) => store.fullHistory(waSession(from)))));
    users.forEach((from, u) => {
      const expectedReplies = Array.from({ length: MESSAGES_EACH }, (_, i) => `reply to: ${text(u, i)} (saw ${2 * i + 2} messages)`);
      expect(wa.sentTo(from).map((m) => m.text)).toEqual(expectedReplies);
      expect(histories[u].map((m) => [m.role, m.content])).toEqual(
        Array.from({ length: MESSAGES_EACH }, (_, i) => [['user', text(u, i)], ['assistant', expectedReplies[i]]]).flat(),
      );
    });
    expect(await withStore(world.db, (store) => store.pendingInboxSessions())).toEqual([]);
  });
});
