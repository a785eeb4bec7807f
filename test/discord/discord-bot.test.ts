import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { FakeDiscord } from '../fakes/fake-discord-server.js';
import { eventually, guild, guildOnShard, repliesTo, shown, spawnWorker, startWorker, stopWorker , discordWorlds } from './discord-bot-harness.js';

const alice = '800000000000000001';
const bob = '800000000000000002';
const dmChannel = '400000000000000001';
const general = '300000000000000001';
const thread = '310000000000000001';
const theGuild = guild(guildOnShard(0, 1), [general]);

const world = discordWorlds([theGuild], 'discord');

/** The text of the bot's message in `channelId` that finally says `text`. */
function answerIn(discord: FakeDiscord, channelId: string, text: string) {
  return eventually(`"${text}" in channel ${channelId}`, () => shown(discord).find((m) => m.channelId === channelId && m.content === text));
}

describe('threadline bot discord', () => {
  it('holds a DM conversation that resumes after a restart, with typing and streamed edits', async () => {
    const { fake, llm, db } = await world();
    const first = await startWorker({ apiUrl: fake.apiUrl, llm, db, args: ['--stream-edit-interval', '0'] });
    fake.dmMessage({ channelId: dmChannel, authorId: alice, content: 'hello there' });
    const answer = await answerIn(fake, dmChannel, 'reply to: hello there (saw 2 messages)');
    // A DM reply is a plain message, not a reply to the user's message.
    expect(answer.replyTo).toBeUndefined();
    expect(fake.typing).toContain(dmChannel);
    expect(await stopWorker(first)).toBe(0);

    const second = await startWorker({ apiUrl: fake.apiUrl, llm, db });
    fake.dmMessage({ channelId: dmChannel, authorId: alice, content: 'still me' });
    // System prompt, the first exchange, and the new message: the conversation came back from the database.
    await answerIn(fake, dmChannel, 'reply to: still me (saw 4 messages)');
    expect(await stopWorker(second)).toBe(0);

    const store = await openStore(db);
    try {
      const { sessions } = await store.listSessions({ prefix: 'discord:' });
      expect(sessions.map((s) => s.id)).toEqual([`discord:${fake.botUserId}:${dmChannel}`]);
      const history = await store.fullHistory(sessions[0].id);
      expect(history.map((m) => [m.role, m.content])).toEqual([
        ['user', 'hello there'],
        ['assistant', 'reply to: hello there (saw 2 messages)'],
        ['user', 'still me'],
        ['assistant', 'reply to: still me (saw 4 messages)'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('answers in a guild channel only when mentioned, keeps each thread its own session, and splits long replies', async () => {
    const { fake, llm, db } = await world();
    const bot = await startWorker({ apiUrl: fake.apiUrl, llm, db });
    fake.sendMessageCreate({ channelId: general, authorId: bob, content: 'just chatting, not for the bot' });
    const asked = fake.sendMessageCreate({ channelId: general, authorId: alice, authorName: 'Alice', content: 'what is up?', mentionsBot: true });
    // The unmentioned message came first on the same channel and was never stored: the model saw only the question.
    const [answer] = await eventually('the answer to the mention', () => {
      const replies = repliesTo(fake, asked.id as string);
      return replies[0]?.content.startsWith('reply to:') ? replies : undefined;
    });
    // In a guild the model is told who speaks; the bot's own mention is not part of the text.
    expect(answer).toMatchObject({ channelId: general, content: 'reply to: Alice: what is up? (saw 2 messages)' });

    const inThread = fake.sendMessageCreate({ channelId: general, threadId: thread, authorId: alice, authorName: 'Alice', content: 'a side topic', mentionsBot: true });
    await answerIn(fake, thread, 'reply to: Alice: a side topic (saw 2 messages)');
    expect(repliesTo(fake, inThread.id as string)).toHaveLength(1);

    fake.sendMessageCreate({ channelId: general, authorId: alice, authorName: 'Alice', content: 'and back here', mentionsBot: true });
    await answerIn(fake, general, 'reply to: Alice: and back here (saw 4 messages)');

    const paragraphs = Array.from({ length: 9 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(100).trim()}`);
    const long = paragraphs.join('\n\n');
    llm.setHandler(() => ({ content: long }));
    const askedForMore = fake.sendMessageCreate({ channelId: general, authorId: alice, content: 'tell me everything', mentionsBot: true });
    const squash = (text: string) => text.replace(/\s+/g, '');
    // Every part answers the same message; streamed, they grow by edits until they hold the whole reply.
    const parts = await eventually('the whole long reply', () => {
      const posted = repliesTo(fake, askedForMore.id as string);
      return squash(posted.map((m) => m.content).join('')) === squash(long) ? posted : undefined;
    });
    expect(long.length).toBeGreaterThan(4000);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.content.length).toBeLessThanOrEqual(2000);
    expect(await stopWorker(bot)).toBe(0);

    expect(shown(fake).every((m) => m.channelId !== general || m.replyTo !== undefined)).toBe(true);
    const store = await openStore(db);
    try {
      const ids = (await store.listSessions({ prefix: 'discord:' })).sessions.map((s) => s.id).sort();
      expect(ids).toEqual([`discord:${fake.botUserId}:${general}`, `discord:${fake.botUserId}:${thread}`]);
    } finally {
      await store.close();
    }
  });

  it('fails in one line with a non-zero exit when Discord rejects the token', async () => {
    const { fake, llm, db } = await world();
    const bot = spawnWorker({ apiUrl: fake.apiUrl, llm, db, token: 'not-the-token' });
    const exit = await bot.exited;
    expect(exit.code).not.toBe(0);
    const errors = bot.stderrLines.filter((line) => line.trim() !== '');
    expect(errors).toEqual(['threadline: Discord rejected the bot token: check DISCORD_BOT_TOKEN / --token (Developer Portal → your application → Bot → Reset Token)']);
    expect(bot.stderrText).not.toContain('not-the-token');
    expect(bot.stdoutText).not.toContain('not-the-token');
  });
});
