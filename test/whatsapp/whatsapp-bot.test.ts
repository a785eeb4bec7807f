import { afterEach, describe, expect, it } from 'vitest';
import { hmacSha256Hex, postRawJson } from '../fakes/fake-slack-server.js';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll, runTs } from '../support/processes.js';
import { botEnv, MAIN, startWhatsAppWorker, startWhatsAppWorld, stopProcess, WA, waSession, withStore, type WhatsAppWorld } from './whatsapp-harness.js';

const LONG_REPLY = Array.from({ length: 300 }, (_, i) => `Sentence number ${i} of a long answer.`).join(' ');

let world: WhatsAppWorld | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

/** Posts an exactly signed raw body, for payloads the fake's `postInbound` does not build. */
const postSigned = (url: string, raw: string) => postRawJson(url, raw, { 'x-hub-signature-256': `sha256=${hmacSha256Hex(WA.appSecret, raw)}` });

describe('threadline bot whatsapp', () => {
  it('answers a DM, resumes the conversation after a restart, and splits a long reply at 4096', async () => {
    world = await startWhatsAppWorld(sqliteTestFile('wa_resume'), (request) =>
      request.messages.at(-1)?.content === 'a long one please' ? { content: LONG_REPLY } : defaultHandler(request),
    );
    const { wa } = world;
    let worker = await startWhatsAppWorker(world);
    expect(await wa.verify(worker.webhookUrl, WA.verifyToken, '8412')).toEqual({ status: 200, body: '8412' });

    expect((await wa.postInbound(worker.webhookUrl, { from: '15550001', text: 'hello', name: 'Alice' })).status).toBe(200);
    await wa.sent.waitFor((m) => m.to === '15550001');
    await stopProcess(worker.proc);

    worker = await startWhatsAppWorker(world);
    expect((await wa.postInbound(worker.webhookUrl, { from: '15550001', text: 'again' })).status).toBe(200);
    await wa.sent.waitFor(() => wa.sentTo('15550001').length === 2);
    expect(wa.sentTo('15550001').map((m) => m.text)).toEqual(['reply to: hello (saw 2 messages)', 'reply to: again (saw 4 messages)']);

    expect((await wa.postInbound(worker.webhookUrl, { from: '15550001', text: 'a long one please' })).status).toBe(200);
    await wa.sent.waitFor(() => wa.sentTo('15550001').length >= 4);
    await stopProcess(worker.proc);

    const parts = wa.sentTo('15550001').slice(2).map((m) => m.text!);
    expect(parts.length).toBe(Math.ceil(LONG_REPLY.length / 4096));
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096);
    expect(parts.join(' ')).toBe(LONG_REPLY);
    expect(wa.sent.every((m) => m.type === 'text')).toBe(true);

    const history = await withStore(world.db, (store) => store.fullHistory(waSession('15550001')));
    expect(history.map((m) => [m.role, m.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'reply to: hello (saw 2 messages)'],
      ['user', 'again'],
      ['assistant', 'reply to: again (saw 4 messages)'],
      ['user', 'a long one please'],
      ['assistant', LONG_REPLY],
    ]);
  });

  it('rejects a bad signature, a malformed body and a wrong verify token, and stores nothing', async () => {
    world = await startWhatsAppWorld(sqliteTestFile('wa_reject'));
    const { wa, llm } = world;
    const worker = await startWhatsAppWorker(world);

    expect((await wa.verify(worker.webhookUrl, 'not-the-verify-token', '1')).status).toBe(403);
    expect((await wa.postInbound(worker.webhookUrl, { from: '15550002', text: 'forged' }, { badSignature: true })).status).toBe(401);
    const unsigned = await postRawJson(worker.webhookUrl, '{"object":"whatsapp_business_account","entry":[]}', {});
    expect(unsigned.status).toBe(401);
    expect((await postSigned(worker.webhookUrl, '{"object":"whatsapp_business_account","entry":[')).status).toBe(400);
    expect((await postSigned(worker.webhookUrl, JSON.stringify({ object: 'page', entry: [] }))).status).toBe(400);
    const statusOnly = {
      object: 'whatsapp_business_account',
      entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: WA.phoneNumberId }, statuses: [{ id: 'wamid.x', status: 'read' }] } }] }],
    };
    expect((await postSigned(worker.webhookUrl, JSON.stringify(statusOnly))).status).toBe(200);
    await stopProcess(worker.proc);

    expect(wa.sent).toEqual([]);
    expect(llm.requests).toEqual([]);
    const stored = await withStore(world.db, async (store) => ({
      sessions: (await store.listSessions()).sessions,
      pending: await store.pendingInboxSessions(),
    }));
    expect(stored).toEqual({ sessions: [], pending: [] });
  });

  it('refuses to start without its settings, in one line naming what is missing', async () => {
    world = await startWhatsAppWorld(sqliteTestFile('wa_missing'));
    const result = await runTs(MAIN, ['bot', 'whatsapp', '--db', world.db, '--model', 'gpt-test', '--base-url', world.llm.baseURL], {
      env: { ...botEnv(world), WHATSAPP_APP_SECRET: undefined, WHATSAPP_VERIFY_TOKEN: undefined },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "threadline: 2 problems: $WHATSAPP_VERIFY_TOKEN is required (chosen by you when registering the webhook in the Meta app; Meta echoes it in the GET handshake); $WHATSAPP_APP_SECRET is required (the Meta app's secret: inbound POSTs are signed with it)\n",
    );
  });
});
