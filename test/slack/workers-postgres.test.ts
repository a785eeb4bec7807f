import { afterEach, expect, it } from 'vitest';
import { defaultHandler } from '../fakes/fake-openai-server.js';
import type { SlackEventEnvelope } from '../fakes/fake-slack-server.js';
import { pgAdminQuery, pgTestUrl, schemaOf } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { readHistories, replyTo, slackSession, startWorker, startWorld, stopWorker, type Worker, type World } from './slack-harness.js';

let world: World | undefined;

afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

const MESSAGES_PER_CONVERSATION = 3;

interface Conversation {
  channel: string;
  user: string;
  /** Channel threads: the model sees `<name>: <text>`. */
  speaker?: string;
  /** Channel threads: the top-level mention's ts, once sent. */
  thread?: string;
  texts: string[];
  event(text: string): SlackEventEnvelope;
}

it('two workers on Postgres: concurrent conversations and redeliveries to the other worker get one reply per event, in order', async () => {
  // A slow model, so messages and redeliveries arrive while turns are running on either worker.
  world = await startWorld(pgTestUrl('slack_workers'), (request) => ({ ...(defaultHandler(request) as object), delayMs: 150 }));
  const slack = world.slack;
  const workers = await Promise.all([startWorker(world), startWorker(world)]);

  const dms: Conversation[] = [1, 2, 3, 4].map((n) => ({
    channel: `D0W${n}`,
    user: `U0W${n}`,
    texts: [],
    event: (text) => slack.directMessage({ channel: `D0W${n}`, user: `U0W${n}`, text }),
  }));
  const threads: Conversation[] = [1, 2].map((n) => {
    const conversation: Conversation = {
      channel: 'C0TEAM',
      user: 'U0ALICE',
      speaker: 'Alice',
      texts: [],
      event: (text) => {
        const mention = slack.appMention({ channel: 'C0TEAM', user: 'U0ALICE', text, ...(conversation.thread ? { threadTs: conversation.thread } : {}) });
        conversation.thread ??= mention.event.ts;
        return mention;
      },
    };
    return conversation;
  });
  const conversations = [...dms, ...threads];

  const deliver = async (body: SlackEventEnvelope, first: Worker, other: Worker, concurrently: boolean) => {
    if (concurrently) {
      // The original and Slack's retry race each other on two workers.
      const answers = await Promise.all([first.send(body), other.send(body, { retryNum: 1, retryReason: 'http_timeout' })]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
    } else {
      expect((await first.send(body)).status).toBe(200);
      expect((await other.send(body, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    }
  };
  await Promise.all(
    conversations.map(async (conversation, c) => {
      for (let k = 0; k < MESSAGES_PER_CONVERSATION; k++) {
        const text = `message ${k + 1} in conversation ${c + 1}`;
        conversation.texts.push(text);
        // Each 200 means recorded, so the next message of the conversation is recorded after this one.
        await deliver(conversation.event(text), workers[(c + k) % 2], workers[(c + k + 1) % 2], k % 2 === 0);
      }
    }),
  );

  const replies = await Promise.all(
    conversations.map((conversation) =>
      Promise.all(conversation.texts.map((text) => replyTo(world!, conversation.channel, conversation.speaker ? `${conversation.speaker}: ${text}` : text, conversation.thread))),
    ),
  );
  await Promise.all(workers.map(stopWorker));

  const histories = await readHistories(world.db);
  expect(histories.size).toBe(conversations.length);
  conversations.forEach((conversation, c) => {
    // Exactly one reply per event: as many bot messages as messages sent, each the reply to one of them.
    expect(slack.messagesIn(conversation.channel, conversation.thread).map((m) => m.text)).toEqual(replies[c]);
    const history = histories.get(slackSession(world!, conversation.channel, conversation.thread));
    expect(history).toEqual(conversation.texts.flatMap((text, k) => [{ role: 'user', content: text }, { role: 'assistant', content: replies[c][k] }]));
  });
});

it('an event that could not be recorded is not acknowledged (500), and Slack\'s retry is answered once', async () => {
  world = await startWorld(pgTestUrl('slack_unrecorded'));
  const worker = await startWorker(world);
  const schema = schemaOf(world.db);
  const dm = world.slack.directMessage({ channel: 'D0LOST', user: 'U0ALICE', text: 'are you there' });

  // The database refuses the write (its inbox is gone for a moment).
  await pgAdminQuery(`ALTER TABLE "${schema}".inbox RENAME TO inbox_away`);
  try {
    expect((await worker.send(dm)).status).toBe(500);
  } finally {
    await pgAdminQuery(`ALTER TABLE "${schema}".inbox_away RENAME TO inbox`);
  }
  expect((await worker.send(dm, { retryNum: 1, retryReason: 'http_error' })).status).toBe(200);
  expect((await worker.send(dm, { retryNum: 2, retryReason: 'http_error' })).status).toBe(200);
  const reply = await replyTo(world, 'D0LOST', 'are you there');
  await stopWorker(worker);

  expect(world.slack.messagesIn('D0LOST').map((m) => m.text)).toEqual([reply]);
  expect((await readHistories(world.db)).get(slackSession(world, 'D0LOST'))?.map((m) => m.content)).toEqual(['are you there', reply]);
});
