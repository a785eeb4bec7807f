import { describe, expect, it } from 'vitest';
import { normalizeEvent, type SlackEventEnvelope } from '../../adapters/slack/normalize-event.js';
import { UnusableEventError } from '../../adapters/shared/unusable-event.js';

const me = { teamId: 'T1', botUserId: 'UBOT', botId: 'BBOT' };
const envelope = (event: NonNullable<SlackEventEnvelope['event']>): SlackEventEnvelope => ({ event_id: 'Ev1', event });

describe('normalizeEvent', () => {
  it('a DM is private, one session per DM channel, answered where it was written', () => {
    expect(normalizeEvent(envelope({ type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hi &amp; &lt;b&gt;', ts: '1.1' }), me)).toEqual({
      platform: 'slack',
      botId: 'T1',
      chatId: 'D1',
      userId: 'U1',
      eventId: 'Ev1',
      messageId: '1.1',
      text: 'hi & <b>',
      isPrivate: true,
      addressed: true,
      replyTarget: { chatId: 'D1', replyToMessageId: '1.1' },
    });
    const inThread = normalizeEvent(envelope({ type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'x', ts: '1.2', thread_ts: '1.1' }), me);
    expect(inThread?.threadId).toBeUndefined();
    expect(inThread?.replyTarget).toEqual({ chatId: 'D1', threadId: '1.1', replyToMessageId: '1.2' });
  });

  it('a top-level mention starts its thread; a mention in a thread belongs to it; the mention itself is removed', () => {
    const top = normalizeEvent(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> what is  up', ts: '2.1' }), me);
    expect(top).toMatchObject({ chatId: 'C1', threadId: '2.1', text: 'what is  up', isPrivate: false, addressed: true, replyTarget: { chatId: 'C1', threadId: '2.1' } });
    const reply = normalizeEvent(envelope({ type: 'app_mention', channel: 'C1', user: 'U2', text: 'so <@UBOT|threadline> /new', ts: '2.5', thread_ts: '2.1' }), me);
    expect(reply).toMatchObject({ threadId: '2.1', text: 'so /new', replyTarget: { chatId: 'C1', threadId: '2.1' } });
    expect(normalizeEvent(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> /new', ts: '2.6' }), me)?.text).toBe('/new');
  });

  it('a plain channel message is not addressed; its copy of a mention is left to app_mention', () => {
    expect(normalizeEvent(envelope({ type: 'message', channel_type: 'channel', channel: 'C1', user: 'U1', text: 'chatter', ts: '3.1' }), me)).toMatchObject({
      threadId: '3.1',
      addressed: false,
      isPrivate: false,
    });
    expect(normalizeEvent(envelope({ type: 'message', channel_type: 'channel', channel: 'C1', user: 'U1', text: '<@UBOT> hi', ts: '3.2' }), me)).toBeUndefined();
  });

  it('ignores edits, bot posts, its own messages, empty mentions, DM app_mentions and envelopes without an event id', () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'x', ts: '4.1' };
    expect(normalizeEvent(envelope({ ...dm, subtype: 'message_changed' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, bot_id: 'BOTHER' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, user: 'UBOT' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, text: '' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, subtype: 'thread_broadcast' }), me)).toBeDefined();
    expect(normalizeEvent(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT>', ts: '4.2' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ type: 'app_mention', channel: 'D1', user: 'U1', text: '<@UBOT> hi', ts: '4.3' }), me)).toBeUndefined();
    expect(normalizeEvent({ event_id: 'Ev2', event: { ...dm, type: 'reaction_added' } }, me)).toBeUndefined();
    // Bot posts and edits need none of the fields a person's message must have.
    expect(normalizeEvent({ event: { type: 'message', subtype: 'message_changed', channel: 'C1' } }, me)).toBeUndefined();
    expect(normalizeEvent(envelope({ type: 'message', bot_id: 'BOTHER', text: 'x' }), me)).toBeUndefined();
  });

  it('a person\'s message without an event id, channel, user or ts is unusable, and says what it lacks', () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'x', ts: '4.1' };
    const unusable = (body: SlackEventEnvelope) => {
      try {
        normalizeEvent(body, me);
      } catch (error) {
        if (error instanceof UnusableEventError) return error.event;
        throw error;
      }
      return expect.unreachable('the event should be unusable');
    };
    expect(unusable({ event: dm })).toEqual({ reason: 'message event without an event_id' });
    expect(unusable(envelope({ ...dm, channel: undefined, user: '' }))).toEqual({ eventId: 'Ev1', reason: 'message event without channel, user' });
    expect(unusable(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> hi' }))).toEqual({ eventId: 'Ev1', reason: 'app_mention event without ts' });
  });
});
