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
      eventId: 'D1-1.1',
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

  it('ignores edits, bot posts, its own messages, Slackbot, empty mentions and DM app_mentions', () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'x', ts: '4.1' };
    expect(normalizeEvent(envelope({ ...dm, subtype: 'message_changed' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, bot_id: 'BOTHER' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, user: 'UBOT' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, user: 'USLACKBOT', text: 'You have been removed from #proj by <@U2>' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, text: '' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ ...dm, subtype: 'thread_broadcast' }), me)).toBeDefined();
    expect(normalizeEvent(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT>', ts: '4.2' }), me)).toBeUndefined();
    expect(normalizeEvent(envelope({ type: 'app_mention', channel: 'D1', user: 'U1', text: '<@UBOT> hi', ts: '4.3' }), me)).toBeUndefined();
    expect(normalizeEvent({ event_id: 'Ev2', event: { ...dm, type: 'reaction_added' } }, me)).toBeUndefined();
    // Bot posts and edits need none of the fields a person's message must have.
    expect(normalizeEvent({ event: { type: 'message', subtype: 'message_changed', channel: 'C1' } }, me)).toBeUndefined();
    expect(normalizeEvent(envelope({ type: 'message', bot_id: 'BOTHER', text: 'x' }), me)).toBeUndefined();
  });

  it('a message is named by its channel and ts, so an edit Slack sends as a new event is the same message', () => {
    const mention = { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> hi', ts: '5.1' };
    const original = normalizeEvent({ event_id: 'Ev1', event: mention }, me);
    const edited = normalizeEvent({ event_id: 'Ev2', event: { ...mention, text: '<@UBOT> hi there', edited: { user: 'U1', ts: '5.9' } } as SlackEventEnvelope['event'] }, me);
    expect(original?.eventId).toBe('C1-5.1');
    expect(edited?.eventId).toBe('C1-5.1');
    // Slack always sends an event_id; without one the message is still recognisable by channel and ts.
    expect(normalizeEvent({ event: mention }, me)?.eventId).toBe('C1-5.1');
  });

  it('files shared with a message are attachments; a file without a comment is a message without text', () => {
    const file = { id: 'F1', name: 'cat.png', mimetype: 'image/png', size: 1234, url_private_download: 'https://files.slack.com/files-pri/T1-F1/download/cat.png' };
    const shared = normalizeEvent(envelope({ type: 'message', subtype: 'file_share', channel_type: 'im', channel: 'D1', user: 'U1', text: '', ts: '6.1', files: [file] }), me);
    expect(shared).toMatchObject({
      text: '',
      attachments: [{ kind: 'image', mimeType: 'image/png', fileName: 'cat.png', platformFileId: 'F1', size: 1234, url: file.url_private_download }],
    });
    const clip = { id: 'F2', name: 'audio_message.webm', mimetype: 'audio/webm', subtype: 'slack_audio' };
    expect(normalizeEvent(envelope({ type: 'message', subtype: 'file_share', channel_type: 'im', channel: 'D1', user: 'U1', text: 'listen', ts: '6.2', files: [clip] }), me)?.attachments).toEqual([
      { kind: 'voice', mimeType: 'audio/webm', fileName: 'audio_message.webm', platformFileId: 'F2' },
    ]);
  });

  it('a person\'s message without a channel, user or ts is unusable, and says what it lacks', () => {
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
    expect(unusable(envelope({ ...dm, channel: undefined, user: '' }))).toEqual({ eventId: 'Ev1', reason: 'message event without channel, user' });
    expect(unusable(envelope({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> hi' }))).toEqual({ eventId: 'Ev1', reason: 'app_mention event without ts' });
  });
});
