import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fake-slack-server.js';

const botToken = 'xoxb-fake-bot-token';
const signingSecret = 'fake-signing-secret';

let fake: FakeSlack;
let app: App | undefined;

beforeEach(async () => {
  fake = await startFakeSlack({ botToken, signingSecret, userNames: { U0ALICE: 'Alice' } });
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await fake.close();
});

const clientOptions = () => ({ slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });

describe('fake Slack Web API', () => {
  it('answers the calls an adapter makes and records posts and edits', async () => {
    const client = new webApi.WebClient(botToken, clientOptions());
    expect(await client.auth.test()).toMatchObject({ ok: true, user_id: fake.botUserId, team_id: fake.teamId });

    const first = await client.chat.postMessage({ channel: 'C1', text: 'hello' });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'in thread', thread_ts: first.ts });
    await client.chat.update({ channel: 'C1', ts: reply.ts!, text: 'in thread, edited' });

    expect(fake.posts.map((post) => post.text)).toEqual(['hello', 'in thread']);
    expect(fake.updates).toEqual([{ channel: 'C1', ts: reply.ts, text: 'in thread, edited' }]);
    expect(fake.messagesIn('C1', first.ts)).toEqual([{ ts: reply.ts, threadTs: first.ts, text: 'in thread, edited' }]);
    expect((await client.users.info({ user: 'U0ALICE' })).user?.profile?.display_name).toBe('Alice');
    expect((await client.conversations.info({ channel: 'D1' })).channel?.is_im).toBe(true);
  });

  it('rejects a wrong token with invalid_auth', async () => {
    const client = new webApi.WebClient('xoxb-wrong', clientOptions());
    await expect(client.auth.test()).rejects.toMatchObject({ data: { ok: false, error: 'invalid_auth' } });
  });

  it('refuses to edit a message that was never posted', async () => {
    const client = new webApi.WebClient(botToken, clientOptions());
    await expect(client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });
});

describe('real Bolt app over HTTP against the fake', () => {
  async function startHttpApp(): Promise<string> {
    app = new App({ token: botToken, signingSecret, clientOptions: clientOptions(), logLevel: LogLevel.ERROR });
    app.event('app_mention', async ({ event, say }) => {
      await say({ text: `echo: ${event.text}`, thread_ts: event.thread_ts ?? event.ts });
    });
    app.message(async ({ message, say }) => {
      if (message.channel_type === 'im' && 'text' in message) await say(`dm echo: ${message.text}`);
    });
    app.command('/threadline', async ({ command, ack, say }) => {
      await ack({ response_type: 'in_channel' });
      await say(`command echo: ${command.text}`);
    });
    const server = (await app.start(0)) as Server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  }

  it('delivers a signed app_mention and the reply lands in its thread', async () => {
    const eventsUrl = await startHttpApp();
    const mention = fake.appMention({ channel: 'C1', user: 'U0ALICE', text: 'hi bot' });
    expect((await fake.sendEvent(eventsUrl, mention)).status).toBe(200);

    const post = await fake.posts.waitFor((p) => p.threadTs === mention.event.ts);
    expect(post).toMatchObject({ channel: 'C1', text: `echo: <@${fake.botUserId}> hi bot` });
  });

  it('delivers a DM message event', async () => {
    const eventsUrl = await startHttpApp();
    const dm = fake.directMessage({ channel: 'D1', user: 'U0ALICE', text: 'psst' });
    expect((await fake.sendEvent(eventsUrl, dm)).status).toBe(200);
    expect(await fake.posts.waitFor((p) => p.channel === 'D1')).toMatchObject({ text: 'dm echo: psst' });
  });

  it('passes retries through with their retry number', async () => {
    const eventsUrl = await startHttpApp();
    const seenRetries: Array<number | undefined> = [];
    app!.use(async ({ context, next }) => {
      seenRetries.push(context.retryNum);
      await next();
    });
    const mention = fake.appMention({ channel: 'C1', user: 'U0ALICE', text: 'again' });
    expect((await fake.sendEvent(eventsUrl, mention, { retryNum: 1 })).status).toBe(200);
    await fake.posts.waitFor((p) => p.threadTs === mention.event.ts);
    expect(seenRetries).toEqual([1]);
  });

  it('gets 401 for a bad signature and for a stale timestamp', async () => {
    const eventsUrl = await startHttpApp();
    const mention = fake.appMention({ channel: 'C1', user: 'U0ALICE', text: 'forged' });
    expect((await fake.sendEvent(eventsUrl, mention, { badSignature: true })).status).toBe(401);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect((await fake.sendEvent(eventsUrl, mention, { timestamp: tenMinutesAgo })).status).toBe(401);
    expect(fake.posts).toEqual([]);
  });

  it('delivers a signed, form-encoded slash command; the response is the ack', async () => {
    const eventsUrl = await startHttpApp();
    const command = fake.slashCommand({ channel: 'C1', user: 'U0ALICE', text: 'ask a & b' });
    expect(command).toMatchObject({ command: '/threadline', user_name: 'alice', team_id: fake.teamId });
    const response = await fake.sendSlashCommand(eventsUrl, command);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ response_type: 'in_channel' });
    expect(await fake.posts.waitFor((p) => p.channel === 'C1')).toMatchObject({ text: 'command echo: ask a & b' });
    // Each invocation has its own trigger id.
    expect(fake.slashCommand({ channel: 'C1', user: 'U0ALICE', text: 'x' }).trigger_id).not.toBe(command.trigger_id);
    expect((await fake.sendSlashCommand(eventsUrl, command, { badSignature: true })).status).toBe(401);
  });

  it('echoes a url_verification challenge', async () => {
    const eventsUrl = await startHttpApp();
    const response = await fake.sendEvent(eventsUrl, { type: 'url_verification', token: 'x', challenge: 'challenge-123' });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ challenge: 'challenge-123' });
  });
});

describe('real Bolt app over Socket Mode against the fake', () => {
  it('receives a pushed event, acks it, and replies through the Web API', async () => {
    app = new App({
      token: botToken,
      appToken: fake.appToken,
      socketMode: true,
      clientOptions: clientOptions(),
      installerOptions: { clientOptions: clientOptions() },
      logLevel: LogLevel.ERROR,
    });
    app.event('app_mention', async ({ event, say }) => {
      await say({ text: 'over the socket', thread_ts: event.ts });
    });

    app.command('/threadline', async ({ command, ack }) => {
      await ack({ response_type: 'ephemeral', text: `only you see: ${command.text}` });
    });
    await app.start();

    const mention = fake.appMention({ channel: 'C2', user: 'U0ALICE', text: 'socket hi' });
    const ack = await fake.pushSocketEvent(mention);
    expect(fake.socketAcks).toContainEqual(ack);
    expect(await fake.posts.waitFor((p) => p.threadTs === mention.event.ts)).toMatchObject({ channel: 'C2', text: 'over the socket' });

    // A slash command's ack carries the response as its payload.
    const commandAck = await fake.pushSocketSlashCommand(fake.slashCommand({ channel: 'C2', user: 'U0ALICE', text: 'hi' }));
    expect(commandAck.payload).toEqual({ response_type: 'ephemeral', text: 'only you see: hi' });
  });
});
