import { afterEach, describe, expect, it } from 'vitest';
import { normalizeSlashCommand, slashCommandText } from '../../adapters/slack/slash-command.js';
import { UnusableEventError } from '../../adapters/shared/unusable-event.js';
import { menuCommands } from '../../src/runner/commands.js';
import { withStore } from '../support/bot-world.js';
import { sqliteTestFile } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { killAll } from '../support/processes.js';
import { readHistories, replyTo, slackSession, startWorker, startWorld, stopWorker, waitUntil, type World } from './slack-harness.js';

let world: World | undefined;

afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

/** The text of the bot's latest message in `channel` once it satisfies `done`. */
function latestIn(w: World, channel: string, done: (text: string) => boolean): Promise<string> {
  return waitUntil(() => {
    const text = w.slack.messagesIn(channel).at(-1)?.text;
    return text !== undefined && done(text) ? text : undefined;
  });
}

describe('slashCommandText and normalizeSlashCommand', () => {
  const menu = menuCommands();
  it('map a command word alone to the command, `ask <text>` and any other text to a message, nothing to /help', () => {
    expect(slashCommandText('new', menu)).toBe('/new');
    expect(slashCommandText('  STOP ', menu)).toBe('/stop');
    expect(slashCommandText('/status', menu)).toBe('/status');
    expect(slashCommandText('', menu)).toBe('/help');
    expect(slashCommandText('ask  what is 2 &lt; 3?', menu)).toBe('what is 2 < 3?');
    expect(slashCommandText('ask', menu)).toBeUndefined();
    expect(slashCommandText('history of Rome', menu)).toBe('history of Rome');
    expect(slashCommandText('start', menu)).toBe('start');
    // A runner that reads no commands: every text is a message.
    expect(slashCommandText('new', [])).toBe('new');
    expect(slashCommandText('', [])).toBeUndefined();
  });

  it('name the session after the channel, its trigger id the event id; a payload without its ids is unusable', () => {
    const me = { teamId: 'T1', botUserId: 'U0BOT' };
    const payload = { command: '/threadline', channel_id: 'C1', user_id: 'U1', trigger_id: '1.2.abc', text: 'hi' };
    expect(normalizeSlashCommand(payload, me, 'hi')).toEqual({
      platform: 'slack', botId: 'T1', chatId: 'C1', userId: 'U1', eventId: '1.2.abc', text: 'hi', isPrivate: false, addressed: true,
      slashCommand: '/threadline', replyTarget: { chatId: 'C1' },
    });
    expect(normalizeSlashCommand({ ...payload, channel_id: 'D1' }, me, 'hi').isPrivate).toBe(true);
    expect(() => normalizeSlashCommand({ ...payload, trigger_id: undefined }, me, 'hi')).toThrow(UnusableEventError);
    expect(() => normalizeSlashCommand({ ...payload, user_id: '' }, me, 'hi')).toThrow('/threadline without user_id');
  });
});

describe('threadline bot slack: the slash command', () => {
  it('over HTTP: acknowledged at once, in the channel; /threadline new, ask <text> and <text>; usage for nothing to ask', async () => {
    world = await startWorld(sqliteTestFile('slack_slash_http'));
    const { slack } = world;
    const worker = await startWorker(world);
    const command = (channel: string, text: string, user = 'U0ALICE') => slack.sendSlashCommand(worker.eventsUrl!, slack.slashCommand({ channel, user, text }));

    // The ack shows the command in the channel; the answer follows as a message there.
    const asked = await command('D0ALICE', 'ask what is up?');
    expect(asked.status).toBe(200);
    expect(JSON.parse(asked.body)).toEqual({ response_type: 'in_channel' });
    expect(await replyTo(world, 'D0ALICE', 'what is up?')).toBe('reply to: what is up? (saw 2 messages)');

    expect((await command('D0ALICE', 'new')).status).toBe(200);
    expect(await latestIn(world, 'D0ALICE', (t) => t.startsWith('Started'))).toBe(`Started a new conversation. The previous one is kept as ${slackSession(world, 'D0ALICE')}.`);
    // A plain text is a question; a command word followed by more words is one too.
    expect((await command('D0ALICE', 'help me write a haiku')).status).toBe(200);
    expect(await replyTo(world, 'D0ALICE', 'help me write a haiku')).toBe('reply to: help me write a haiku (saw 2 messages)');

    // /threadline alone is /help, which says how to reach the commands on Slack.
    expect((await command('D0ALICE', '')).status).toBe(200);
    const help = await latestIn(world, 'D0ALICE', (t) => t.includes('/new - '));
    expect(help).toContain('On Slack: /threadline new, /threadline status, …, or /threadline followed by a message');

    // Nothing to ask: only its user sees the usage, and nothing is recorded.
    const empty = await command('D0ALICE', 'ask   ');
    expect(JSON.parse(empty.body)).toEqual({ response_type: 'ephemeral', text: 'Usage: /threadline &lt;message&gt;, /threadline ask &lt;text&gt;, /threadline new|status|stop|history|help' });

    // In a channel: addressed without a mention, answered at the channel's top level, the speaker named.
    expect((await command('C0GENERAL', 'ask is anyone there?', 'U0BOB')).status).toBe(200);
    expect(await replyTo(world, 'C0GENERAL', 'Bob: is anyone there?')).toBe('reply to: Bob: is anyone there? (saw 2 messages)');
    expect(slack.messagesIn('C0GENERAL').every((m) => m.threadTs === undefined)).toBe(true);

    // The same invocation twice (its trigger id) is answered once.
    const twice = slack.slashCommand({ channel: 'C0GENERAL', user: 'U0BOB', text: 'once only' });
    expect((await slack.sendSlashCommand(worker.eventsUrl!, twice)).status).toBe(200);
    expect((await slack.sendSlashCommand(worker.eventsUrl!, twice)).status).toBe(200);
    await replyTo(world, 'C0GENERAL', 'Bob: once only');
    await eventually('the second delivery counted', () =>
      withStore(world!.db, async (store) => (await store.listInbox({ limit: 100 })).find((e) => e.eventKey === `slack:${slack.teamId}:${twice.trigger_id}` && e.redeliveries === 1)),
    );
    await stopWorker(worker);

    expect(slack.messagesIn('C0GENERAL').filter((m) => m.text.startsWith('reply to: Bob: once only'))).toHaveLength(1);
    const histories = await readHistories(world.db);
    expect(histories.get(slackSession(world, 'C0GENERAL'))?.map((m) => m.content)).toEqual([
      'is anyone there?',
      'reply to: Bob: is anyone there? (saw 2 messages)',
      'once only',
      expect.stringMatching(/^reply to: Bob: once only/),
    ]);
  });

  it('over Socket Mode, with a configured name: the ack carries the response, and the answer is posted', async () => {
    world = await startWorld(sqliteTestFile('slack_slash_socket'));
    const { slack } = world;
    const worker = await startWorker(world, { socketMode: true, args: ['--slash-command', '/ask-bot'] });
    const ack = await slack.pushSocketSlashCommand(slack.slashCommand({ channel: 'D0SOCK', user: 'U0ALICE', text: 'over the socket', command: '/ask-bot' }));
    expect(ack.payload).toEqual({ response_type: 'in_channel' });
    expect(await replyTo(world, 'D0SOCK', 'over the socket')).toBe('reply to: over the socket (saw 2 messages)');
    await slack.pushSocketSlashCommand(slack.slashCommand({ channel: 'D0SOCK', user: 'U0ALICE', text: 'status', command: '/ask-bot' }));
    expect(await latestIn(world, 'D0SOCK', (t) => t.startsWith('Session:'))).toBe(`Session: ${slackSession(world, 'D0SOCK')}\nMessages: 2\nModel: gpt-test`);
    await stopWorker(worker);
  });
});
