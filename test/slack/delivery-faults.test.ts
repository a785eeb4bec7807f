import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingInbox } from '../support/recording-inbox.js';
import { SlackAdapter } from '../../adapters/slack/slack-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { DeliveryFault, InboundSink } from '../../src/runner/platform-adapter.js';
import { startFakeSlack, type FakeSlack, type SlackErrorAnswer } from '../fakes/fake-slack-server.js';
import { listenOnLoopback } from '../fakes/http-json.js';

/*
 * The adapter side of message fates on Slack, in process: the real WebClient against the fake Web API failing on
 * cue, and the real Bolt HTTP receiver fed signed events.
 */

const BOT_TOKEN = 'xoxb-fault-test-token';
const SIGNING_SECRET = 'fault-test-signing-secret';

let slack: FakeSlack;
let adapter: SlackAdapter | undefined;
beforeEach(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
});
afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await slack.close();
});

const newAdapter = (apiUrl = slack.apiUrl) =>
  (adapter = new SlackAdapter({ token: BOT_TOKEN, apiUrl, receive: { kind: 'http', signingSecret: SIGNING_SECRET, port: 0 }, logger: silentLogger }));

async function faultOf(bot: SlackAdapter, call: Promise<unknown>): Promise<DeliveryFault> {
  const error = await call.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
  return bot.classifyError(error);
}

describe('SlackAdapter.classifyError, against the real WebClient', () => {
  it.each<[string, string]>([
    ['channel_not_found', 'unreachable'],
    ['not_in_channel', 'unreachable'],
    ['is_archived', 'unreachable'],
    ['account_inactive', 'permanent'],
    ['user_not_found', 'unreachable'],
    ['msg_too_long', 'content'],
    ['invalid_blocks', 'content'],
    ['no_text', 'content'],
    ['invalid_auth', 'permanent'],
    ['missing_scope', 'permanent'],
  ])('chat.postMessage refused with %s is %s', async (error, kind) => {
    slack.failCalls({ method: 'chat.postMessage', chatId: 'C1', error: { error } });
    const bot = newAdapter();
    expect(await faultOf(bot, bot.send({ chatId: 'C1' }, 'hello'))).toEqual({ kind, reason: error });
  });

  it('an edit of a message that is gone or past the edit window is edit_refused', async () => {
    const bot = newAdapter();
    const ts = await bot.send({ chatId: 'C1' }, 'first');
    expect(await faultOf(bot, bot.edit({ chatId: 'C1' }, '1.000999', 'edited'))).toEqual({ kind: 'edit_refused', reason: 'message_not_found' });
    for (const error of ['cant_update_message', 'edit_window_closed']) {
      slack.failCalls({ method: 'chat.update', error: { error } });
      expect(await faultOf(bot, bot.edit({ chatId: 'C1' }, ts, 'edited'))).toEqual({ kind: 'edit_refused', reason: error });
    }
    await expect(bot.edit({ chatId: 'C1' }, ts, 'edited')).resolves.toBeUndefined();
  });

  it('a rate limit reaches the runner at once, with Retry-After', async () => {
    const limited: SlackErrorAnswer = { error: 'ratelimited', status: 429, retryAfter: 30 };
    slack.failCalls({ method: 'chat.postMessage', error: limited });
    const bot = newAdapter();
    expect(await faultOf(bot, bot.send({ chatId: 'C1' }, 'hello'))).toEqual({ kind: 'transient', reason: 'rate limited: retry after 30 s', retryAfterMs: 30_000 });
    expect(slack.posts).toHaveLength(0);
  });

  it("Slack's 5xx and an unreachable Web API are transient (after the client's own retries); no reason holds the token", async () => {
    slack.failCalls({ method: 'chat.postMessage', times: Infinity, error: { error: 'service_unavailable', status: 503 } });
    const closed = await listenOnLoopback(() => {});
    await closed.close();
    const bot = newAdapter();
    const offline = new SlackAdapter({ token: BOT_TOKEN, apiUrl: `${closed.url}/api/`, receive: { kind: 'socket', appToken: 'xapp-unused' }, logger: silentLogger });
    const [down, away] = await Promise.all([faultOf(bot, bot.send({ chatId: 'C1' }, 'hello')), faultOf(offline, offline.send({ chatId: 'C1' }, 'hello'))]);
    expect(down).toEqual({ kind: 'transient', reason: 'HTTP 503 Service Unavailable' });
    expect(away).toEqual({ kind: 'transient', reason: 'network error: ECONNREFUSED' });
    expect(away.reason + down.reason).not.toContain(BOT_TOKEN);
  });
});

describe('Slack over HTTP: what an event that was not recorded is answered', () => {

  async function start(sink: InboundSink): Promise<string> {
    const bot = newAdapter();
    await bot.start(sink);
    return `http://127.0.0.1:${bot.port}/slack/events`;
  }

  it('503 with Retry-After while the store is unreachable, 500 for other failures, 200 once recorded', async () => {
    let failure: Error | undefined = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { sink, received } = recordingInbox(async () => {
      if (failure) throw failure;
      return { duplicate: false };
    });
    const url = await start(sink);
    const dm = slack.directMessage({ channel: 'D0DM1', user: 'U0ALICE', text: 'hello' });

    const away = await slack.sendEvent(url, dm);
    expect(away.status).toBe(503);
    expect(away.retryAfter).toBe('5');
    failure = new Error('a bug in recording');
    const broken = await slack.sendEvent(url, dm, { retryNum: 1 });
    expect(broken.status).toBe(500);
    expect(broken.retryAfter).toBeUndefined();
    failure = undefined;
    expect((await slack.sendEvent(url, dm, { retryNum: 2 })).status).toBe(200);
    // The same message each time (a Slack message is known by its channel and ts).
    const id = `${dm.event.channel}-${dm.event.ts}`;
    expect(received.map((m) => m.eventId)).toEqual([id, id, id]);
  });

  it("refuses a person's message that lacks its channel or user (200, never received)", async () => {
    const { sink, received, refused } = recordingInbox();
    const url = await start(sink);
    const dm = slack.directMessage({ channel: 'D0DM1', user: 'U0ALICE', text: 'hello' });
    const { user: _user, ...withoutUser } = dm.event;
    expect((await slack.sendEvent(url, { ...dm, event: withoutUser })).status).toBe(200);
    expect(received).toEqual([]);
    expect(refused).toEqual([{ platform: 'slack', botId: slack.teamId, eventId: dm.event_id, reason: 'message event without user' }]);
  });
});
