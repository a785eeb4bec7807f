import { afterEach, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/runner/platform-adapter.js';
import { eventKeyFor } from '../../src/runner/session-key.js';
import { openStore } from '../../src/store/open-store.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll } from '../support/processes.js';
import { readHistories, replyTo, slackSession, startWorker, startWorld, stopWorker, type World } from './slack-harness.js';

let world: World | undefined;

afterEach(async () => {
  await killAll();
  await world?.close();
  world = undefined;
});

it('Socket Mode: events come over the WebSocket, are acknowledged once recorded, and answered through the Web API', async () => {
  world = await startWorld(sqliteTestFile('slack-socket'));
  const worker = await startWorker(world, { socketMode: true });
  const slack = world.slack;

  const dm = slack.directMessage({ channel: 'D0SOCK', user: 'U0ALICE', text: 'over the socket' });
  await slack.pushSocketEvent(dm);
  // Acknowledged means recorded: the inbox already holds the event, so recording it again is a duplicate.
  const store = await openStore(world.db);
  try {
    const eventKey = eventKeyFor({ platform: 'slack', botId: slack.teamId, eventId: `${dm.event.channel}-${dm.event.ts}` } as InboundMessage);
    expect(await store.enqueueInbox({ sessionId: slackSession(world, 'D0SOCK'), eventKey, payload: {} })).toMatchObject({ duplicate: true });
  } finally {
    await store.close();
  }
  const dmReply = await replyTo(world, 'D0SOCK', 'over the socket');

  const mention = slack.appMention({ channel: 'C0SOCK', user: 'U0BOB', text: 'socket mention' });
  await slack.pushSocketEvent(mention);
  // Slack redelivers an envelope it thinks was lost: no second reply.
  await slack.pushSocketEvent(mention);
  const mentionReply = await replyTo(world, 'C0SOCK', 'Bob: socket mention', mention.event.ts);
  await stopWorker(worker);

  expect(slack.posts.map((p) => [p.channel, p.threadTs])).toEqual([
    ['D0SOCK', undefined],
    ['C0SOCK', mention.event.ts],
  ]);
  const histories = await readHistories(world.db);
  expect(histories.get(slackSession(world, 'D0SOCK'))?.map((m) => m.content)).toEqual(['over the socket', dmReply]);
  expect(histories.get(slackSession(world, 'C0SOCK', mention.event.ts))?.map((m) => m.content)).toEqual(['socket mention', mentionReply]);
});
