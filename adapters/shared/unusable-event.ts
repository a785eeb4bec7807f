import type { InboundSink, RefusedEvent } from '../../src/runner/platform-adapter.js';

/** Why one platform event can never become an `InboundMessage`: what a normaliser reports instead of a message. */
export interface UnusableEvent {
  /** The platform's id of the event, when it had a usable one. */
  eventId?: string;
  /** One line: what was wrong with it. */
  reason: string;
}

/**
 * Thrown by a normaliser for an event that is addressed to the bot but broken (no chat, no sender, ids no real
 * event has). Unlike an event the bot merely does not answer (undefined), it is refused: recorded as such and
 * acknowledged, since the platform would send the same broken event again forever.
 */
export class UnusableEventError extends Error {
  constructor(readonly event: UnusableEvent) {
    super(event.reason);
  }
}

/** Hands an unusable event to the runner as refused. */
export function refuseUnusable(inbox: InboundSink, source: Pick<RefusedEvent, 'platform' | 'botId'>, event: UnusableEvent): Promise<void> {
  return inbox.refuse({ ...source, ...(event.eventId !== undefined ? { eventId: event.eventId } : {}), reason: event.reason });
}
