import type { InboundMessage, InboundSink, RefusedEvent, UndeliveredReport } from '../../src/runner/platform-adapter.js';

/** An inbox for adapter tests: `receive` does what the test says, and every call is remembered. */
export function recordingInbox(receive: (message: InboundMessage) => Promise<{ duplicate: boolean }> = async () => ({ duplicate: false })) {
  const received: InboundMessage[] = [];
  const refused: RefusedEvent[] = [];
  const undelivered: UndeliveredReport[] = [];
  const sink: InboundSink = {
    receive: (message) => {
      received.push(message);
      return receive(message);
    },
    refuse: async (event) => {
      refused.push(event);
    },
    undelivered: async (report) => {
      undelivered.push(report);
    },
  };
  return { sink, received, refused, undelivered };
}
