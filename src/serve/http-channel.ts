import type { InboundSink, PlatformAdapter } from '../runner/platform-adapter.js';

/** The inbox queue of every `serve` process on a database: any of them may run a turn another one received. */
export const HTTP_QUEUE = 'http';

/**
 * HTTP as the runner's platform. Messages arrive through the API's routes (which hand them to `sink`); replies go
 * to the turn's event log (see TurnEventReply), not through `send`. What the runner would send on its own — the
 * apology of a dead-lettered entry — is recorded in the entry's ledger as a notice, which is where an HTTP client
 * reads it (see TurnFollower): `send` has nothing more to do.
 */
export class HttpChannel implements PlatformAdapter {
  readonly platform = 'http';
  readonly queue = HTTP_QUEUE;
  readonly textLimit = Number.MAX_SAFE_INTEGER;
  private inbox?: InboundSink;

  /** Where the routes record messages; set once the runner has started. */
  get sink(): InboundSink {
    if (!this.inbox) throw new Error('the HTTP channel is not started');
    return this.inbox;
  }

  async start(inbox: InboundSink): Promise<void> {
    this.inbox = inbox;
  }

  async stop(): Promise<void> {}

  async send(): Promise<string> {
    return '';
  }

  async edit(): Promise<void> {}

  async typing(): Promise<void> {}
}
