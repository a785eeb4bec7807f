import { afterEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord-server.js';
import { defaultHandler, startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { pgTestUrl } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { eventually, guild, guildOnShard, repliesTo, servedShards, startWorker, TOKEN } from './discord-bot-harness.js';
import { startRedeliveringProxy, type RedeliveringProxy } from './redelivering-proxy.js';

const SHARDS = 2;
const alice = '800000000000000001';
/** Two channels in a guild on each shard. */
const channelsOnShard = [
  ['300000000000000001', '300000000000000002'],
  ['300000000000000011', '300000000000000012'],
];
const guilds = channelsOnShard.map((channels, shard) => guild(guildOnShard(shard, SHARDS), channels));
const ROUNDS = 3;

let fake: FakeDiscord | undefined;
let llm: FakeOpenAI | undefined;
let proxy: RedeliveringProxy | undefined;

afterEach(async () => {
  await killAll();
  await proxy?.close();
  await fake?.close();
  await llm?.close();
  fake = llm = proxy = undefined;
});

it('2 workers split the shards, answer every message once in order despite redeliveries, and take over a dead worker\'s shard', async () => {
  fake = await startFakeDiscord({ token: TOKEN, guilds, shardCount: SHARDS });
  // A little latency, so turns of different channels overlap across the two workers.
  llm = await startFakeOpenAI({ handler: (request) => ({ ...(defaultHandler(request) as object), delayMs: 50 }) });
  proxy = await startRedeliveringProxy(fake.apiUrl);
  const options = { apiUrl: proxy.apiUrl, llm, db: pgTestUrl('discord_workers'), args: ['--shards', String(SHARDS), '--no-stream'] };
  const workers = await Promise.all([startWorker(options, 'any'), startWorker(options, 'any')]);
  const discord = fake;

  // Each shard has exactly one connection (a shard connected twice would show up twice).
  await eventually('both shards connected', () => (discord.connectedShards().length === SHARDS ? true : undefined));
  expect(discord.connectedShards()).toEqual([0, 1]);

  const sent = new Map<string, Array<{ id: string; text: string }>>();
  const send = (channelId: string, text: string) => {
    const message = discord.sendMessageCreate({ channelId, authorId: alice, authorName: 'Alice', content: text, mentionsBot: true });
    sent.set(channelId, [...(sent.get(channelId) ?? []), { id: message.id as string, text }]);
    return message.id as string;
  };
  const answered = (id: string) => repliesTo(discord, id).some((reply) => reply.content.startsWith('reply to:'));
  const allChannels = channelsOnShard.flat();

  for (let round = 0; round < ROUNDS; round++) for (const channelId of allChannels) send(channelId, `round ${round} in ${channelId}`);
  await eventually('every message answered', () => ([...sent.values()].flat().every(({ id }) => answered(id)) ? true : undefined), 60_000);

  // SIGKILL the worker serving shard 1: Postgres drops its lease with its connections, and the other takes over.
  // The proxy then delivers every earlier message of shard 1 again, to the survivor's new connection.
  const victim = workers.find((worker) => servedShards(worker).includes(1))!;
  const survivor = workers.find((worker) => worker !== victim)!;
  victim.kill('SIGKILL');
  await victim.exited;
  await eventually('the survivor serving shard 1', () => (servedShards(survivor).includes(1) ? true : undefined));
  expect(discord.connectedShards()).toEqual([0, 1]);
  expect(proxy.redelivered()).toBe(channelsOnShard[1].length * ROUNDS);
  // These come after the redelivered copies on the same connection, and each channel is answered in order:
  // once they are answered, any reply a copy could have caused has been posted.
  const afterTakeover = channelsOnShard[1].map((channelId) => send(channelId, `after the takeover in ${channelId}`));
  await eventually('the answers after the takeover', () => (afterTakeover.every(answered) ? true : undefined));

  for (const [channelId, messages] of sent) {
    for (const { id } of messages) expect(repliesTo(discord, id), `replies to ${id} in ${channelId}`).toHaveLength(1);
  }

  const store = await openStore(options.db);
  try {
    for (const [channelId, messages] of sent) {
      const history = await store.fullHistory(`discord:${discord.botUserId}:${channelId}`);
      expect(history.filter((m) => m.role === 'user').map((m) => m.content), `history of ${channelId}`).toEqual(messages.map((m) => m.text));
      expect(history.map((m) => m.role)).toEqual(messages.flatMap(() => ['user', 'assistant']));
    }
  } finally {
    await store.close();
  }
});
