import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console-adapter.js';
import { DiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import { SlackAdapter } from '../../adapters/slack/slack-adapter.js';
import { TelegramAdapter } from '../../adapters/telegram/telegram-adapter.js';
import { WhatsAppAdapter } from '../../adapters/whatsapp/whatsapp-adapter.js';
import { silentLogger } from '../../src/log.js';
import type { Lease } from '../../src/store/types.js';
import { guild } from '../discord/discord-bot-harness.js';
import { startFakeDiscord } from '../fakes/fake-discord-server.js';
import { startFakeSlack } from '../fakes/fake-slack-server.js';
import { startFakeTelegram } from '../fakes/fake-telegram-server.js';
import { startFakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
import { eventually } from '../support/eventually.js';
import { recordingInbox } from '../support/recording-inbox.js';
import { WA } from '../whatsapp/whatsapp-harness.js';

/* Each adapter's readiness() (what /readyz reports), in process against the fake platforms. */

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const lease = (name: string): Lease => ({ name, lost: new Promise(() => {}), release: async () => {} });

describe('adapter readiness', () => {
  it('Telegram: polling, standing by for another poller, or the database away; a webhook while it listens', async () => {
    const tg = await startFakeTelegram({ token: '1:tg', username: 'ready_bot' });
    cleanups.push(() => tg.close());

    let leases: 'granted' | 'held' | 'failing' = 'held';
    const polling = new TelegramAdapter({
      token: '1:tg',
      apiRoot: tg.apiRoot,
      logger: silentLogger,
      receive: {
        kind: 'polling',
        leases: {
          tryAcquireLease: async (name) => {
            if (leases === 'failing') throw new Error('connect ECONNREFUSED');
            return leases === 'granted' ? lease(name) : null;
          },
        },
      },
    });
    cleanups.push(() => polling.stop());
    expect(polling.readiness()).toBe('not started');
    await polling.start(recordingInbox().sink);
    // Another worker polls: this one stands by, ready to take over.
    await eventually('standing by', () => (polling.readiness() === undefined ? true : undefined), 5_000);
    leases = 'failing';
    expect(await eventually('the database away', () => polling.readiness(), 10_000)).toBe('cannot ask the database which worker polls Telegram');
    leases = 'granted';
    await eventually('polling', () => (polling.readiness() === undefined ? true : undefined), 10_000);
    await polling.stop();
    expect(polling.readiness()).toBe('stopped');

    const webhook = new TelegramAdapter({ token: '1:tg', apiRoot: tg.apiRoot, logger: silentLogger, receive: { kind: 'webhook', url: 'http://127.0.0.1/tg', port: 0, secret: 's' } });
    cleanups.push(() => webhook.stop());
    expect(webhook.readiness()).toBe('the webhook server is not listening');
    await webhook.start(recordingInbox().sink);
    expect(webhook.readiness()).toBeUndefined();
    await webhook.stop();
    expect(webhook.readiness()).toBe('stopped');
  });

  it('Slack: the HTTP receiver while it listens; Socket Mode while its connection is open', async () => {
    const slack = await startFakeSlack({ botToken: 'xoxb-r', signingSecret: 'sign', appToken: 'xapp-r' });
    cleanups.push(() => slack.close());

    const http = new SlackAdapter({ token: 'xoxb-r', apiUrl: slack.apiUrl, logger: silentLogger, receive: { kind: 'http', signingSecret: 'sign', port: 0 } });
    cleanups.push(() => http.stop());
    expect(http.readiness()).toBe('not started');
    await http.start(recordingInbox().sink);
    expect(http.readiness()).toBeUndefined();
    await http.stop();
    expect(http.readiness()).toBe('not started');

    const socket = new SlackAdapter({ token: 'xoxb-r', apiUrl: slack.apiUrl, logger: silentLogger, receive: { kind: 'socket', appToken: 'xapp-r' } });
    cleanups.push(() => socket.stop());
    await socket.start(recordingInbox().sink);
    expect(socket.readiness()).toBeUndefined();
    // Slack away: the connection drops and the client reconnects meanwhile.
    await slack.close();
    expect(await eventually('the connection down', () => socket.readiness(), 10_000)).toBe('the Socket Mode connection is not open (reconnecting)');
  });

  it('Discord: while the shards it serves are connected, or while it stands by for the workers that serve them all', async () => {
    const token = 'discord-ready-token';
    const discord = await startFakeDiscord({ token, guilds: [guild('200000000000000001', ['300000000000000001'])] });
    cleanups.push(() => discord.close());
    const adapter = (granted: boolean) =>
      new DiscordAdapter({
        token,
        apiUrl: discord.apiUrl,
        shardCount: 1,
        leases: { tryAcquireLease: async (name) => (granted ? lease(name) : null) },
        logger: silentLogger,
        onFatal: () => {},
      });

    const serving = adapter(true);
    cleanups.push(() => serving.stop());
    expect(serving.readiness()).toBe('not started');
    await serving.start(recordingInbox().sink);
    expect(serving.readiness()).toBeUndefined();
    await serving.stop();
    expect(serving.readiness()).toBe('stopped');

    const standingBy = adapter(false);
    cleanups.push(() => standingBy.stop());
    await standingBy.start(recordingInbox().sink);
    expect(standingBy.readiness()).toBeUndefined();
  });

  it('WhatsApp while its webhook server listens; the console always', async () => {
    const fake = await startFakeWhatsApp(WA);
    cleanups.push(() => fake.close());
    const whatsapp = new WhatsAppAdapter({ ...WA, apiUrl: fake.graphUrl, port: 0, host: '127.0.0.1', logger: silentLogger });
    cleanups.push(() => whatsapp.stop());
    expect(whatsapp.readiness()).toBe('the webhook server is not listening');
    await whatsapp.start(recordingInbox().sink);
    expect(whatsapp.readiness()).toBeUndefined();
    await whatsapp.stop();
    expect(whatsapp.readiness()).toBe('the webhook server is not listening');

    expect(new ConsoleAdapter({ sessionId: 'c', logger: silentLogger, onExit: () => {} }).readiness()).toBeUndefined();
  });
});
