import { REST, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { DeliveryFault } from '../../src/runner/platform-adapter.js';
import { startFakeDiscord, type DiscordErrorAnswer, type FakeDiscord } from '../fakes/fake-discord-server.js';
import { listenOnLoopback } from '../fakes/http-json.js';
import { guild } from './discord-bot-harness.js';

/* The adapter side of message fates on Discord, in process: discord.js's REST client against the fake failing on cue. */

const TOKEN = 'discord-fault-test-token';
const channel = '300000000000000001';

let fake: FakeDiscord;
beforeEach(async () => {
  fake = await startFakeDiscord({ token: TOKEN, guilds: [guild('200000000000000001', [channel])] });
});
afterEach(async () => {
  await fake.close();
});

const newAdapter = (apiUrl = fake.apiUrl) =>
  new DiscordAdapter({ token: TOKEN, apiUrl, shardCount: 1, leases: { tryAcquireLease: async () => null }, logger: silentLogger, onFatal: () => {} });

async function faultOf(adapter: DiscordAdapter, call: Promise<unknown>): Promise<DeliveryFault> {
  const error = await call.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
  return adapter.classifyError(error);
}

describe('DiscordAdapter.classifyError, against the real discord.js REST client', () => {
  it.each<[DiscordErrorAnswer, string]>([
    [{ status: 403, code: 50007, message: 'Cannot send messages to this user' }, 'unreachable'],
    [{ status: 403, code: 50001, message: 'Missing Access' }, 'unreachable'],
    [{ status: 403, code: 50013, message: 'Missing Permissions' }, 'unreachable'],
    [{ status: 400, code: 50035, message: 'Invalid Form Body' }, 'content'],
    [{ status: 401, code: 0, message: '401: Unauthorized' }, 'permanent'],
  ])('a message refused with %j is %s', async (error, kind) => {
    fake.failCalls({ method: 'createMessage', chatId: channel, error });
    const adapter = newAdapter();
    expect(await faultOf(adapter, adapter.send({ chatId: channel }, 'hello'))).toEqual({ kind, reason: `${error.message} (code ${error.code})` });
  });

  it('an unknown channel is unreachable; an unknown message is edit_refused', async () => {
    const adapter = newAdapter();
    expect(await faultOf(adapter, adapter.send({ chatId: '399999999999999999' }, 'hello'))).toEqual({ kind: 'unreachable', reason: 'Unknown Channel (code 10003)' });
    expect(await faultOf(adapter, adapter.edit({ chatId: channel }, '399999999999999998', 'edited'))).toEqual({ kind: 'edit_refused', reason: 'Unknown Message (code 10008)' });
  });

  it('5xx is transient once discord.js has used its own retries', async () => {
    fake.failCalls({ method: 'triggerTypingIndicator', times: Infinity, error: { status: 502, code: 0, message: 'Bad Gateway' } });
    const adapter = newAdapter();
    expect(await faultOf(adapter, adapter.typing({ chatId: channel }))).toEqual({ kind: 'transient', reason: 'HTTP 502 Bad Gateway' });
    await expect(adapter.send({ chatId: channel }, 'other routes still work')).resolves.toBeTruthy();
  });

  it('a rate limit discord.js was told to reject with is transient after its retry_after', async () => {
    fake.failCalls({ method: 'createMessage', error: { status: 429, code: 0, message: 'You are being rate limited.', retryAfter: 2 } });
    // The adapter lets discord.js wait out rate limits; a client that rejects instead shows the error's shape.
    const rest = new REST({ api: fake.apiUrl, rejectOnRateLimit: () => true }).setToken(TOKEN);
    const error = await rest.post(Routes.channelMessages(channel), { body: { content: 'hello' } }).catch((e: unknown) => e);
    const fault = newAdapter().classifyError(error);
    expect(fault).toEqual({ kind: 'transient', reason: 'rate limited on /channels/:id/messages', retryAfterMs: expect.any(Number) });
    // discord.js adds its safety offset (50 ms by default) to Discord's retry_after.
    expect(fault.retryAfterMs).toBeGreaterThanOrEqual(2000);
  });

  it('an unreachable API is transient, its reason free of the token', async () => {
    const closed = await listenOnLoopback(() => {});
    await closed.close();
    const adapter = newAdapter(`${closed.url}/api`);
    const fault = await faultOf(adapter, adapter.send({ chatId: channel }, 'hello'));
    expect(fault).toEqual({ kind: 'transient', reason: 'network error: ECONNREFUSED' });
    expect(fault.reason).not.toContain(TOKEN);
  });
});
