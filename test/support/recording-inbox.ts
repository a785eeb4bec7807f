import type { InboundMessage, InboundSink, RefusedEvent } from '../../src/runner/platform-adapter.js';

/** An inbox for adapter tests: `receive` does what the test says, and both calls are remembered. */
export function recordingInbox(receive: (message: InboundMessage) => Promise<{ duplicate: boolean }> = async () => ({ duplicate: false })) {
  const received: InboundMessage[] = [];
  const refused: RefusedEvent[] = [];
  const sink: InboundSink = {
    receive: (message) => {
      received.push(message);
      return receive(message);
    },
    refuse: async (event) => {
      refused.push(event);
    },
  };
  return { sink, received, refused };
}
