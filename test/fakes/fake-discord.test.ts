import { once } from 'node:events';
import { ChannelType, Client, DiscordAPIError, Events, GatewayIntentBits, Partials, REST, Routes, type ChatInputCommandInteraction, type Interaction, type Message } from 'discord.js';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordedList } from './fake-slack-server.js';
import { shardForGuild, startFakeDiscord, type FakeDiscord, type FakeDiscordGuild } from './fake-discord-server.js';

const token = 'fake-discord-token';
const aliceId = '800000000000000001';

/** A snowflake-shaped guild id that Discord routes to `shard` of `count`. */
const guildOnShard = (shard: number, count: number): string => String(((1000n * BigInt(count)) + BigInt(shard)) << 22n);

const guildA: FakeDiscordGuild = { id: guildOnShard(0, 2), name: 'Guild A', channels: [{ id: '300000000000000001', name: 'general' }] };
const guildB: FakeDiscordGuild = { id: guildOnShard(1, 2), name: 'Guild B', channels: [{ id: '300000000000000002', name: 'general' }] };

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

function newClient(api: string, shards?: 'auto'): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
    partials: [Partials.Channel],
    rest: { api },
    ...(shards && { shards }),
  });
}

async function loggedIn(api: string, shards?: 'auto'): Promise<Client> {
  client = newClient(api, shards);
  const ready = once(client, Events.ClientReady);
  await client.login(token);
  await ready;
  return client;
}

function nextMessage(bot: Client): Promise<Message> {
  return new Promise((resolve) => bot.once(Events.MessageCreate, resolve));
}

describe('real discord.js client against the fake Discord', () => {
  it('logs in, receives guild and DM messages, replies, edits and types', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA] });
    const bot = await loggedIn(fake.apiUrl);
    expect(bot.user?.id).toBe(fake.botUserId);
    expect(bot.guilds.cache.get(guildA.id)?.name).toBe('Guild A');
    expect(fake.connectedShards()).toEqual([0]);

    const guildMessage = nextMessage(bot);
    fake.sendMessageCreate({ channelId: '300000000000000001', authorId: aliceId, content: 'hello bot', mentionsBot: true });
    const received = await guildMessage;
    expect(received.content).toBe(`<@${fake.botUserId}> hello bot`);
    expect(received.guildId).toBe(guildA.id);
    expect(received.mentions.has(bot.user!)).toBe(true);

    const reply = await received.reply('hi there');
    expect(fake.messages).toEqual([{ id: reply.id, channelId: '300000000000000001', content: 'hi there', replyTo: received.id }]);
    const edited = await reply.edit('hi there, edited');
    expect(edited.editedTimestamp).not.toBeNull();
    expect(fake.edits).toEqual([{ channelId: '300000000000000001', messageId: reply.id, content: 'hi there, edited' }]);
    if (!received.channel.isSendable()) throw new Error('the guild channel should be sendable');
    await received.channel.sendTyping();
    expect(fake.typing).toEqual(['300000000000000001']);

    const dm = nextMessage(bot);
    fake.dmMessage({ channelId: '400000000000000001', authorId: aliceId, content: 'psst' });
    const dmReceived = await dm;
    expect(dmReceived.channel.type).toBe(ChannelType.DM);
    expect(dmReceived.content).toBe('psst');
    if (!dmReceived.channel.isSendable()) throw new Error('the DM channel should be sendable');
    await dmReceived.channel.send('dm answer');
    expect(fake.messages.at(-1)).toMatchObject({ channelId: '400000000000000001', content: 'dm answer' });
  });

  it('announces a thread before a message posted in it', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA] });
    const bot = await loggedIn(fake.apiUrl);
    const inThread = nextMessage(bot);
    fake.sendMessageCreate({ channelId: '300000000000000001', threadId: '310000000000000001', authorId: aliceId, content: 'in a thread' });
    const received = await inThread;
    expect(received.channel.isThread()).toBe(true);
    expect(received.channel.isThread() && received.channel.parentId).toBe('300000000000000001');
  });

  it('opens the recommended shards and delivers each guild on its own shard', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA, guildB], shardCount: 2 });
    const bot = await loggedIn(fake.apiUrl, 'auto');
    expect(fake.connectedShards()).toEqual([0, 1]);
    expect(bot.guilds.cache.get(guildB.id)?.shardId).toBe(1);

    const received = nextMessage(bot);
    fake.sendMessageCreate({ channelId: '300000000000000002', authorId: aliceId, content: 'on shard one' });
    expect((await received).guild?.shardId).toBe(shardForGuild(guildB.id, 2));
  });

  it('destroys cleanly: the gateway sees a normal close', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA] });
    const bot = await loggedIn(fake.apiUrl);
    await bot.destroy();
    client = undefined;
    const closed = await fake.gatewayCloses.waitFor();
    expect(closed).toMatchObject({ shard: [0, 1], code: 1000 });
    expect(fake.connectedShards()).toEqual([]);
  });

  it('rejects a wrong token at login (REST answers 401)', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA] });
    client = newClient(fake.apiUrl);
    await expect(client.login('wrong-token')).rejects.toThrow(/token/i);
  });
});

function nextInteraction(bot: Client): Promise<ChatInputCommandInteraction> {
  return new Promise((resolve) =>
    bot.once(Events.InteractionCreate, (interaction: Interaction) => {
      if (interaction.isChatInputCommand()) resolve(interaction);
    }),
  );
}

describe('application commands and interactions against the fake Discord', () => {
  it('bulk-overwrites commands (keeping ids), delivers a slash command, and takes one answer per interaction', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA] });
    const rest = new REST({ api: fake.apiUrl }).setToken(token);
    const app = (await rest.get(Routes.currentApplication())) as { id: string };
    expect(app.id).toBe(fake.applicationId);
    const ask = { name: 'ask', description: 'ask something', options: [{ type: 3, name: 'text', description: 'what', required: true }] };
    const first = (await rest.put(Routes.applicationCommands(app.id), { body: [ask, { name: 'new', description: 'fresh' }] })) as Array<{ id: string; name: string }>;
    const again = (await rest.put(Routes.applicationCommands(app.id), { body: [ask] })) as Array<{ id: string; name: string }>;
    expect(again).toEqual([expect.objectContaining({ name: 'ask', id: first[0].id })]);
    expect(((await rest.get(Routes.applicationCommands(app.id))) as unknown[]).length).toBe(1);
    expect(fake.commandRegistrations.map((r) => [r.guildId, r.commands.map((c) => c.name)])).toEqual([[undefined, ['ask', 'new']], [undefined, ['ask']]]);
    await expect(rest.put(Routes.applicationCommands(app.id), { body: [{ name: 'Bad Name', description: 'x' }] })).rejects.toMatchObject({ code: 50035 });
    // Not in that guild: Missing Access.
    await expect(rest.put(Routes.applicationGuildCommands(app.id, '999999999999999999'), { body: [ask] })).rejects.toMatchObject({ code: 50001 });

    const bot = await loggedIn(fake.apiUrl);
    expect(() => fake!.slashCommand({ channelId: '300000000000000001', userId: aliceId, command: 'new' })).toThrow(/not registered/);
    const received = nextInteraction(bot);
    const sent = fake.slashCommand({ channelId: '300000000000000001', userId: aliceId, userName: 'Alice', command: 'ask', options: { text: 'hello?' } });
    const interaction = await received;
    expect(interaction).toMatchObject({ id: sent.id, commandName: 'ask', channelId: '300000000000000001', guildId: guildA.id });
    expect(interaction.options.getString('text')).toBe('hello?');
    const response = await interaction.reply({ content: '>>> hello?', withResponse: true });
    expect(response.resource?.message?.content).toBe('>>> hello?');
    expect(fake.interactionResponses).toEqual([{ interactionId: sent.id, type: 4, content: '>>> hello?', messageId: response.resource?.message?.id }]);

    // A redelivery of the same interaction: a second answer is refused, as Discord does.
    const redelivered = nextInteraction(bot);
    fake.redeliverInteraction(sent);
    const copy = await redelivered;
    expect(copy.id).toBe(sent.id);
    const refused = await copy.reply({ content: 'twice' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DiscordAPIError);
    expect(refused).toMatchObject({ code: 40060 });
    expect(fake.interactionResponses).toHaveLength(1);

    // In a DM the interaction carries the user, and the channel is a DM.
    const inDm = nextInteraction(bot);
    fake.slashCommand({ channelId: '400000000000000001', dm: true, userId: aliceId, command: 'ask', options: { text: 'psst' } });
    const dmInteraction = await inDm;
    expect(dmInteraction.inGuild()).toBe(false);
    expect(dmInteraction.user.id).toBe(aliceId);
    expect(dmInteraction.channel?.type).toBe(ChannelType.DM);
  });
});

describe('fake Discord gateway protocol', () => {
  interface GatewayFrame {
    op: number;
    t: string | null;
    d: any;
  }

  /** A bare gateway connection, for what discord.js cannot show: close codes and which socket got which event. */
  async function openGateway(api: string): Promise<{ socket: WebSocket; frames: RecordedList<GatewayFrame> }> {
    const response = await fetch(`${api}/v10/gateway/bot`, { headers: { authorization: `Bot ${token}` } });
    const { url } = (await response.json()) as { url: string };
    const socket = new WebSocket(`${url}?v=10&encoding=json`);
    const frames = new RecordedList<GatewayFrame>();
    socket.on('message', (data) => frames.record(JSON.parse(data.toString()) as GatewayFrame));
    await once(socket, 'open');
    return { socket, frames };
  }

  it('closes with 4004 when IDENTIFY carries the wrong token', async () => {
    fake = await startFakeDiscord({ token });
    const { socket } = await openGateway(fake.apiUrl);
    socket.send(JSON.stringify({ op: 2, d: { token: 'wrong', intents: 0, properties: {} } }));
    const [code] = await once(socket, 'close');
    expect(code).toBe(4004);
  });

  it('sends a guild event only to the connection holding its shard', async () => {
    fake = await startFakeDiscord({ token, guilds: [guildA, guildB] });
    const shards = [await openGateway(fake.apiUrl), await openGateway(fake.apiUrl)];
    shards.forEach(({ socket }, id) => socket.send(JSON.stringify({ op: 2, d: { token, intents: 0, properties: {}, shard: [id, 2] } })));
    const readies = await Promise.all(shards.map(({ frames }) => frames.waitFor((frame) => frame.t === 'READY')));
    expect(readies.map((ready) => ready.d.guilds)).toEqual([[{ id: guildA.id, unavailable: true }], [{ id: guildB.id, unavailable: true }]]);
    expect(fake.connectedShards()).toEqual([0, 1]);

    const sent = fake.sendMessageCreate({ channelId: '300000000000000002', authorId: aliceId, content: 'for shard 1' });
    // Frames on one socket arrive in order: once a heartbeat ACK is in, any MESSAGE_CREATE sent before it is too.
    for (const { socket, frames } of shards) {
      socket.send(JSON.stringify({ op: 1, d: null }));
      await frames.waitFor((frame) => frame.op === 11);
    }
    const messageCreates = (shard: number) => shards[shard].frames.filter((frame) => frame.t === 'MESSAGE_CREATE').map((frame) => frame.d.id);
    expect(messageCreates(1)).toEqual([sent.id]);
    expect(messageCreates(0)).toEqual([]);
    for (const { socket } of shards) socket.close();
  });
});
