import { describe, expect, it } from 'vitest';
import { menuCommands } from '../../src/runner/commands.js';
import type { FakeDiscord } from '../fakes/fake-discord-server.js';
import { withStore } from '../support/bot-world.js';
import { eventually, guild, guildOnShard, repliesTo, shown, startWorker, stopWorker , discordWorlds } from './discord-bot-harness.js';

const alice = '800000000000000001';
const dmChannel = '400000000000000001';
const general = '300000000000000001';
const theGuild = guild(guildOnShard(0, 1), [general]);

const world = discordWorlds([theGuild], 'discord_slash');

/** The application commands the runner's menu should become on Discord. */
function expectedCommands() {
  return menuCommands().map((command) => ({
    type: 1,
    name: command.name,
    description: command.description,
    ...(command.text ? { options: [{ type: 3, name: command.text.name, description: command.text.description, required: true }] } : {}),
  }));
}

/** The bot's acknowledgement of an interaction: the message Discord shows under "<user> used /…". */
function acknowledgement(discord: FakeDiscord, interactionId: string) {
  return eventually(`the answer to interaction ${interactionId}`, () => discord.interactionResponses.find((r) => r.interactionId === interactionId));
}

/** The bot's complete reply to the message `messageId` (a streamed reply ends with "(saw N messages)"). */
function replyTo(discord: FakeDiscord, messageId: string, complete: (text: string) => boolean = (text) => text.endsWith(' messages)')) {
  return eventually(`the reply to ${messageId}`, () => repliesTo(discord, messageId).find((m) => complete(m.content)));
}

describe('threadline bot discord: slash commands', () => {
  it('registers the derived commands globally once, answers /ask and /new interactions, and a redelivered interaction once', async () => {
    const { fake, llm, db } = await world();
    const first = await startWorker({ apiUrl: fake.apiUrl, llm, db, args: ['--stream-edit-interval', '0'] });
    const [registration] = await eventually('the global registration', () => (fake.commandRegistrations.length > 0 ? [...fake.commandRegistrations] : undefined));
    expect(registration.guildId).toBeUndefined();
    expect(registration.commands).toEqual(expectedCommands().map((command) => expect.objectContaining(command)));
    expect(registration.commands.map((c) => c.name)).toEqual(['new', 'status', 'stop', 'history', 'help', 'ask']);
    // Offered in servers and in the bot's DMs.
    expect(registration.commands.every((c) => JSON.stringify(c.contexts) === '[0,1]')).toBe(true);

    // /ask hello: acknowledged at once with the question quoted; the answer replies to that acknowledgement.
    const ask = fake.slashCommand({ channelId: general, userId: alice, userName: 'Alice', command: 'ask', options: { text: 'hello' } });
    // The same interaction delivered twice to one worker: acknowledged once, answered once.
    fake.redeliverInteraction(ask);
    const echo = await acknowledgement(fake, ask.id);
    expect(echo).toMatchObject({ type: 4, content: '>>> hello' });
    const answer = await replyTo(fake, echo.messageId!);
    expect(answer).toMatchObject({ channelId: general, content: 'reply to: Alice: hello (saw 2 messages)' });

    // /new: a command like the typed one, answered in the channel.
    const fresh = fake.slashCommand({ channelId: general, userId: alice, userName: 'Alice', command: 'new' });
    const newEcho = await acknowledgement(fake, fresh.id);
    expect(newEcho.content).toBe('/new');
    const started = await replyTo(fake, newEcho.messageId!, () => true);
    expect(started.content).toBe(`Started a new conversation. The previous one is kept as discord:${fake.botUserId}:${general}.`);
    const again = fake.slashCommand({ channelId: general, userId: alice, userName: 'Alice', command: 'ask', options: { text: 'who am I?' } });
    // The fresh conversation: the model saw the system prompt and this question only.
    expect((await replyTo(fake, (await acknowledgement(fake, again.id)).messageId!)).content).toBe('reply to: Alice: who am I? (saw 2 messages)');

    // In the bot's DM: /help, answered in the DM as a plain message.
    const help = fake.slashCommand({ channelId: dmChannel, dm: true, userId: alice, command: 'help' });
    await acknowledgement(fake, help.id);
    const helpText = await eventually('the /help answer in the DM', () => shown(fake).find((m) => m.channelId === dmChannel));
    expect(helpText.content).toMatch(/^\/start - greeting\n\/new - start a fresh conversation/);
    expect(helpText.replyTo).toBeUndefined();
    expect(await stopWorker(first)).toBe(0);

    // A restart registers nothing again: the commands are already there.
    const second = await startWorker({ apiUrl: fake.apiUrl, llm, db });
    await second.waitForLine(/"msg":"Discord application commands already registered"/, 30_000);
    expect(fake.commandRegistrations).toHaveLength(1);
    // The first /ask delivered again, to a worker that never saw it: Discord refuses a second acknowledgement, and the
    // inbox knows the interaction id.
    fake.redeliverInteraction(ask);
    const status = fake.slashCommand({ channelId: general, userId: alice, userName: 'Alice', command: 'status' });
    const statusEcho = await acknowledgement(fake, status.id);
    const statusReply = await replyTo(fake, statusEcho.messageId!, () => true);
    expect(statusReply.content).toMatch(/^Session: discord:\S+~\S+\nMessages: 2\nModel: gpt-test$/);
    // One inbox entry for the interaction: the redelivery to the first worker was dropped before it was acknowledged
    // again, the one to the second worker by the inbox (its event key is the interaction id).
    const entry = await eventually('the redelivery counted', () =>
      withStore(db, async (store) => (await store.listInbox({ limit: 100 })).find((e) => e.eventKey === `discord:${fake.botUserId}:${ask.id}` && e.redeliveries > 0)),
    );
    expect(entry).toMatchObject({ status: 'done', redeliveries: 1 });
    expect(await stopWorker(second)).toBe(0);

    expect(fake.interactionResponses.filter((r) => r.interactionId === ask.id)).toHaveLength(1);
    expect(repliesTo(fake, echo.messageId!)).toHaveLength(1);
    // Every question reached the model once.
    expect(llm.requests.map((r) => String(r.messages.at(-1)?.content))).toEqual(['Alice: hello', 'Alice: who am I?']);
    expect(first.stdoutLines.filter((line) => /"level":(5\d|6\d)/.test(line))).toEqual([]);
  });

  it('registers per guild when configured; a guild that refuses is a warning, and the bot still answers', async () => {
    const { fake, llm, db } = await world();
    const elsewhere = '999999999999999999';
    const bot = await startWorker({ apiUrl: fake.apiUrl, llm, db, args: ['--command-guilds', `${theGuild.id},${elsewhere}`] });
    const refused = await bot.waitForLine(/could not register the Discord application commands/, 30_000);
    expect(JSON.parse(refused)).toMatchObject({ level: 40, scope: 'guild', guildId: elsewhere, reason: 'Missing Access (code 50001)' });
    expect(fake.commandRegistrations.map((r) => r.guildId)).toEqual([theGuild.id]);
    // Guild commands say nothing of contexts; nothing was registered globally.
    expect(fake.registeredCommands(theGuild.id).map((c) => c.name)).toEqual(['new', 'status', 'stop', 'history', 'help', 'ask']);
    expect(fake.registeredCommands()).toEqual([]);

    const ask = fake.slashCommand({ channelId: general, userId: alice, userName: 'Alice', command: 'ask', options: { text: 'in this guild' } });
    const echo = await acknowledgement(fake, ask.id);
    expect((await replyTo(fake, echo.messageId!)).content).toBe('reply to: Alice: in this guild (saw 2 messages)');
    expect(await stopWorker(bot)).toBe(0);
  });
});
