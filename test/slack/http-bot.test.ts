import { afterEach, describe, expect, it } from 'vitest';
import { hmacSha256Hex, postRawJson } from '../fakes/fake-slack-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { SIGNING_SECRET, readHistories, replyTo, slackSession, spawnWorker, startWorker, startWorld, stopWorker, type World } from './slack-harness.js';

let world: World | undefined;

afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

const sawCount = (reply: string) => Number(/\(saw (\d+) messages\)$/.exec(reply)?.[1]);

describe('threadline bot slack over HTTP (real Bolt receiver and WebClient, fake Slack)', () => {
  it('answers a DM, and after a restart resumes the same conversation; a retried event gets no second reply', async () => {
    world = await startWorld(sqliteTestFile('slack-dm'));
    const first = await startWorker(world);
    const hello = world.slack.directMessage({ channel: 'D0DM1', user: 'U0ALICE', text: 'hello there' });
    expect((await first.send(hello)).status).toBe(200);
    const firstReply = await replyTo(world, 'D0DM1', 'hello there');
    // A DM is answered at the top level of the DM, not in a thread.
    expect(world.slack.posts.every((p) => p.threadTs === undefined)).toBe(true);
    await stopWorker(first);

    const second = await startWorker(world);
    // Slack retries the first event (say the first worker's 200 was lost): recognised, not answered again.
    expect((await second.send(hello, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    const again = world.slack.directMessage({ channel: 'D0DM1', user: 'U0ALICE', text: 'do you remember me' });
    expect((await second.send(again)).status).toBe(200);
    const secondReply = await replyTo(world, 'D0DM1', 'do you remember me');

    expect(sawCount(secondReply)).toBe(sawCount(firstReply) + 2);
    expect(world.llm.requests.at(-1)?.messages.some((m) => m.role === 'user' && m.content === 'hello there')).toBe(true);
    expect(world.slack.messagesIn('D0DM1').map((m) => m.text)).toEqual([firstReply, secondReply]);
    await stopWorker(second);

    const histories = await readHistories(world.db);
    expect([...histories.keys()]).toEqual([slackSession(world, 'D0DM1')]);
    expect(histories.get(slackSession(world, 'D0DM1'))).toEqual([
      { role: 'user', content: 'hello there' },
      { role: 'assistant', content: firstReply },
      { role: 'user', content: 'do you remember me' },
      { role: 'assistant', content: secondReply },
    ]);
  });

  it('in a channel answers only mentions, in a thread per top-level mention, each thread its own session', async () => {
    world = await startWorld(sqliteTestFile('slack-channel'));
    const worker = await startWorker(world);
    const slack = world.slack;

    const chatter = slack.directMessage({ channel: 'C0GEN', user: 'U0BOB', text: 'just chatting, not for the bot' });
    chatter.event.channel_type = 'channel';
    expect((await worker.send(chatter)).status).toBe(200);

    const opening = slack.appMention({ channel: 'C0GEN', user: 'U0ALICE', text: 'what is a monad' });
    // Slack also delivers a mention as a plain channel message, under another event id: answered once.
    const sameAsMessage = slack.directMessage({ channel: 'C0GEN', user: 'U0ALICE', text: String(opening.event.text) });
    sameAsMessage.event.channel_type = 'channel';
    expect((await worker.send(opening)).status).toBe(200);
    expect((await worker.send(sameAsMessage)).status).toBe(200);
    const thread = opening.event.ts;
    const firstReply = await replyTo(world, 'C0GEN', 'Alice: what is a monad', thread);

    const followUp = slack.appMention({ channel: 'C0GEN', user: 'U0BOB', text: 'and a functor?', threadTs: thread });
    expect((await worker.send(followUp)).status).toBe(200);
    const followUpReply = await replyTo(world, 'C0GEN', 'Bob: and a functor?', thread);
    expect(sawCount(followUpReply)).toBe(sawCount(firstReply) + 2);
    // In a channel the model is told who is speaking (display names from users.info).
    expect(world.llm.requests.at(-1)?.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'Alice: what is a monad',
      'Bob: and a functor?',
    ]);

    const other = slack.appMention({ channel: 'C0GEN', user: 'U0ALICE', text: 'unrelated question' });
    expect((await worker.send(other)).status).toBe(200);
    const otherReply = await replyTo(world, 'C0GEN', 'Alice: unrelated question', other.event.ts);
    expect(sawCount(otherReply)).toBe(sawCount(firstReply));

    await stopWorker(worker);
    expect(slack.posts.map((p) => p.threadTs)).toEqual([thread, thread, other.event.ts]);
    const histories = await readHistories(world.db);
    expect(new Map([...histories].map(([id, messages]) => [id, messages.map((m) => m.content)]))).toEqual(
      new Map([
        [slackSession(world, 'C0GEN', thread), ['what is a monad', firstReply, 'and a functor?', followUpReply]],
        [slackSession(world, 'C0GEN', other.event.ts), ['unrelated question', otherReply]],
      ]),
    );
  });

  it('rejects forged, stale and malformed requests and stores nothing from them', async () => {
    world = await startWorld(sqliteTestFile('slack-reject'));
    const worker = await startWorker(world);
    const dm = (text: string) => world!.slack.directMessage({ channel: 'D0DM2', user: 'U0ALICE', text });

    expect((await worker.send(dm('forged'), { badSignature: true })).status).toBe(401);
    expect((await worker.send(dm('stale'), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect((await postRawJson(worker.eventsUrl!, JSON.stringify(dm('unsigned')), {})).status).toBe(401);
    const now = String(Math.floor(Date.now() / 1000));
    const broken = '{"type":"event_callback","event":';
    const signed = { 'x-slack-request-timestamp': now, 'x-slack-signature': `v0=${hmacSha256Hex(SIGNING_SECRET, `v0:${now}:${broken}`)}` };
    expect((await postRawJson(worker.eventsUrl!, broken, signed)).status).toBe(400);
    // Signed and well-formed, but not a message anyone wrote (no user): acknowledged, ignored.
    const userless = dm('no sender');
    delete userless.event.user;
    expect((await worker.send(userless)).status).toBe(200);

    // The bot is still fine, and the one genuine message is all that was stored.
    expect((await worker.send(dm('genuine'))).status).toBe(200);
    await replyTo(world, 'D0DM2', 'genuine');
    await stopWorker(worker);
    const histories = await readHistories(world.db);
    expect([...histories.values()].flat().filter((m) => m.role === 'user')).toEqual([{ role: 'user', content: 'genuine' }]);
    expect(world.slack.posts).toHaveLength(1);
  });

  it('exits with one line when Slack rejects the bot or app token, or when HTTP mode has no signing secret', async () => {
    world = await startWorld(sqliteTestFile('slack-token'));
    const badToken = spawnWorker(world, { env: { SLACK_BOT_TOKEN: 'xoxb-wrong' } });
    const badAppToken = spawnWorker(world, { socketMode: true, env: { SLACK_APP_TOKEN: 'xapp-wrong' } });
    const noSecret = spawnWorker(world, { env: { SLACK_SIGNING_SECRET: undefined } });
    const [badExit, badAppExit, noSecretExit] = await Promise.all([badToken.exited, badAppToken.exited, noSecret.exited]);

    expect(badExit.code).toBe(2);
    expect(badToken.stderrText.trim().split('\n')).toEqual([expect.stringMatching(/^threadline: Slack rejected the bot token \(invalid_auth\): check SLACK_BOT_TOKEN/)]);
    expect(badAppExit.code).toBe(2);
    expect(badAppToken.stderrText.trim().split('\n')).toEqual([expect.stringMatching(/^threadline: Slack rejected the app-level token \(invalid_auth\): check SLACK_APP_TOKEN/)]);
    expect(noSecretExit.code).toBe(2);
    expect(noSecret.stderrText.trim().split('\n')).toEqual([expect.stringMatching(/^threadline: --signing-secret or \$SLACK_SIGNING_SECRET: is required in HTTP mode/)]);
    expect(badToken.stdoutText + badToken.stderrText).not.toContain('xoxb-wrong');
  });
});
