import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll, runTs, spawnTs } from '../support/processes.js';
import { botEnv, MAIN, startWhatsAppWorld, stopProcess, waSession, webhookUrlOf, withStore, type WhatsAppWorld } from '../whatsapp/whatsapp-harness.js';

const TG_TOKEN = '123456:config-test-token';
const EXAMPLE = new URL('../../config/threadline.example.yaml', import.meta.url).pathname;

let world: WhatsAppWorld | undefined;
let tg: FakeTelegram | undefined;
let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await killAll();
  await world?.close();
  await tg?.close();
  await slack?.close();
  await discord?.close();
  world = tg = slack = discord = undefined;
});

/** Writes `yaml` next to the test database and returns its path. */
function configFile(db: string, yaml: string): string {
  const file = join(dirname(db), 'threadline.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('threadline bot run --config', () => {
  it('validates the example with --check, and refuses a bad config in one line', async () => {
    const env = {
      DATABASE_URL: 'postgres://unused/db',
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sign',
      DISCORD_BOT_TOKEN: 'discord',
      WHATSAPP_ACCESS_TOKEN: 'a',
      WHATSAPP_PHONE_NUMBER_ID: '1',
      WHATSAPP_VERIFY_TOKEN: 'v',
      WHATSAPP_APP_SECRET: 's',
    };
    const ok = await runTs(MAIN, ['bot', 'run', '--config', EXAMPLE, '--check'], { env });
    expect(ok).toMatchObject({ code: 0, stdout: `${EXAMPLE}: valid (telegram, slack, discord, whatsapp)\n`, stderr: '' });

    const bad = configFile(sqliteTestFile('cfg_bad'), 'platforms:\n  whatsapp: { accessToken: a, phoneNumberId: 1, verifyToken: v, appSecret: s, prot: 80 }\n');
    const refused = await runTs(MAIN, ['bot', 'run', '--config', bad], { env });
    expect(refused).toMatchObject({ code: 2, stdout: '', stderr: `threadline: config file ${bad}: platforms.whatsapp.prot: unknown key (did you mean port?)\n` });
  });

  it('refuses two sections that the platform identifies as one bot, in one line, before answering anything', async () => {
    const db = sqliteTestFile('cfg_same_bot');
    tg = await startFakeTelegram({ token: 'first-token', botId: 7_000_000_005 });
    // Tokens the file cannot tell apart by their form: only getMe says they are one bot.
    const second = tg.addBot({ token: 'second-token', botId: 7_000_000_005 });
    const config = configFile(
      db,
      [`db: ${db}`, 'model: echo', 'platforms:', '  telegram:', `    - { token: first-token, apiRoot: "${tg.apiRoot}" }`, `    - { token: second-token, apiRoot: "${tg.apiRoot}" }`, ''].join('\n'),
    );
    const refused = await runTs(MAIN, ['bot', 'run', '--config', config], { env: { OPENAI_API_KEY: 'unused' } });
    expect(refused).toMatchObject({ code: 2, stderr: 'threadline: platforms.telegram[0] and platforms.telegram[1] are the same telegram bot (telegram:7000000005): each bot may run once per process\n' });
    // Neither started polling: both were identified (getMe), and the process stopped there.
    expect([tg.calls.map((c) => c.method), second.calls.map((c) => c.method)]).toEqual([['getMe'], ['getMe']]);
  });

  it('runs Telegram and WhatsApp in one process on one store', async () => {
    const db = sqliteTestFile('cfg_two');
    world = await startWhatsAppWorld(db);
    tg = await startFakeTelegram({ token: TG_TOKEN, username: 'threadline_cfg_bot', maxLongPollSeconds: 1 });
    const config = configFile(
      db,
      [
        `db: ${db}`,
        'model: gpt-test',
        `baseUrl: ${world.llm.baseURL}`,
        'platforms:',
        '  telegram:',
        '    token: ${TELEGRAM_BOT_TOKEN}',
        `    apiRoot: ${tg.apiRoot}`,
        '  whatsapp:',
        '    accessToken: { env: WHATSAPP_ACCESS_TOKEN }',
        '    phoneNumberId: ${WHATSAPP_PHONE_NUMBER_ID}',
        '    verifyToken: { env: WHATSAPP_VERIFY_TOKEN }',
        '    appSecret: { env: WHATSAPP_APP_SECRET }',
        '    apiUrl: ${WHATSAPP_API_URL}',
        '    port: 0',
        '    host: 127.0.0.1',
        '',
      ].join('\n'),
    );
    const proc = spawnTs(MAIN, ['bot', 'run', '--config', config], { env: { ...botEnv(world), TELEGRAM_BOT_TOKEN: TG_TOKEN } });
    const webhookUrl = await webhookUrlOf(proc);
    await proc.waitForLine(/"platform":"telegram".*"msg":"bot runner started"|"msg":"bot runner started".*"platform":"telegram"/);

    tg.pushUpdate(tg.textUpdate({ chatId: 501, userId: 501, text: 'hi on telegram' }));
    expect((await world.wa.postInbound(webhookUrl, { from: '15550009', text: 'hi on whatsapp' })).status).toBe(200);
    await tg.waitFor((fake) => fake.messagesInChat(501).length > 0, 60_000);
    await world.wa.sent.waitFor((m) => m.to === '15550009');
    await stopProcess(proc);

    expect(tg.messagesInChat(501).map((m) => m.text)).toEqual(['reply to: hi on telegram (saw 2 messages)']);
    expect(world.wa.sentTo('15550009').map((m) => m.text)).toEqual(['reply to: hi on whatsapp (saw 2 messages)']);
    const sessions = await withStore(db, async (store) => (await store.listSessions()).sessions.map((s) => s.id).sort());
    expect(sessions).toEqual([`telegram:${tg.botInfo.id}:501`, waSession('15550009')].sort());
  });

  it('runs Slack (HTTP) and Discord in one process on one store, from their config sections', async () => {
    const db = sqliteTestFile('cfg_slack_discord');
    world = await startWhatsAppWorld(db);
    slack = await startFakeSlack({ botToken: 'xoxb-cfg', signingSecret: 'cfg-signing' });
    discord = await startFakeDiscord({ token: 'discord-cfg' });
    const config = configFile(
      db,
      [
        `db: ${db}`,
        'model: gpt-test',
        `baseUrl: ${world.llm.baseURL}`,
        'platforms:',
        '  slack:',
        '    token: ${SLACK_BOT_TOKEN}',
        '    signingSecret: { env: SLACK_SIGNING_SECRET }',
        '    port: 0',
        `    apiUrl: ${slack.apiUrl}`,
        '  discord:',
        '    token: { env: DISCORD_BOT_TOKEN }',
        `    apiUrl: ${discord.apiUrl}`,
        '    shards: 1',
        '',
      ].join('\n'),
    );
    const env = { ...botEnv(world), SLACK_BOT_TOKEN: 'xoxb-cfg', SLACK_SIGNING_SECRET: 'cfg-signing', DISCORD_BOT_TOKEN: 'discord-cfg' };
    const proc = spawnTs(MAIN, ['bot', 'run', '--config', config], { env });
    const receiving = await proc.waitForLine(/"msg":"receiving Slack events over HTTP"/);
    const eventsUrl = `http://127.0.0.1:${(JSON.parse(receiving) as { port: number }).port}/slack/events`;
    await proc.waitForLine(/"msg":"serving Discord shard"/);

    expect((await slack.sendEvent(eventsUrl, slack.directMessage({ channel: 'D0CFG', user: 'U0ALICE', text: 'hi on slack' }))).status).toBe(200);
    discord.dmMessage({ channelId: '400000000000000009', authorId: '800000000000000009', content: 'hi on discord' });
    const slackReply = 'reply to: hi on slack (saw 2 messages)';
    const discordReply = 'reply to: hi on discord (saw 2 messages)';
    await waitUntil(() => slack!.messagesIn('D0CFG').some((m) => m.text === slackReply));
    await waitUntil(() => discord!.messages.some((m) => (discord!.edits.findLast((e) => e.messageId === m.id)?.content ?? m.content) === discordReply));
    await stopProcess(proc);

    const sessions = await withStore(db, async (store) => (await store.listSessions()).sessions.map((s) => s.id).sort());
    expect(sessions).toEqual([`discord:${discord.botUserId}:400000000000000009`, `slack:${slack.teamId}:D0CFG`].sort());
  });
});

/** Resolves once `done()` holds (replies arrive as posts and later edits); the test's timeout bounds it. */
async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 25));
}
