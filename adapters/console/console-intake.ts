import type { Logger } from '../../src/log.js';
import type { InboundMessage, InboundSink } from '../../src/runner/platform-adapter.js';
import { isStoreUnreachable } from '../../src/errors.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { recordInbound } from '../shared/record-inbound.js';

/** All lines of one console go through one queue: recorded one at a time, in the order they were typed. */
const LINES = 'lines';
const QUOTED_TEXT_MAX = 60;

/**
 * Records the console's lines in the inbox. Lines piped in arrive all at once; recorded concurrently (separate
 * connections of a Postgres pool) they could commit, and so be answered, in another order. A store that is away
 * for now (a file another process holds locked, a restarting server) is waited out, the line kept; any other
 * failure loses only that line. Either is said in one line on stderr: the console has nobody else to tell.
 */
export class ConsoleIntake {
  private readonly recording = new KeyedSerialQueue();
  private stopping = false;

  constructor(
    private readonly inbox: InboundSink,
    private readonly options: { logger: Logger; errors: NodeJS.WritableStream },
  ) {}

  /** Queue a line behind the ones before it (its failures are reported, never thrown). */
  add(message: InboundMessage): void {
    void this.recording.run(LINES, () => this.record(message));
  }

  /** Resolves once every line added so far is recorded, or reported as not saved. */
  idle(): Promise<void> {
    return this.recording.idle();
  }

  /** Stop waiting for the store: a line still waiting is reported as not saved. */
  stop(): void {
    this.stopping = true;
  }

  private async record(message: InboundMessage): Promise<void> {
    try {
      await recordInbound(() => this.inbox.receive(message), message, {
        logger: this.options.logger,
        stopping: () => this.stopping,
        retryIf: isStoreUnreachable,
        onRetry: (error, attempt) => {
          if (attempt === 1) this.tell(`the store is unavailable (${reason(error)}): waiting to save ${quote(message.text)}`);
        },
      });
    } catch (error) {
      this.tell(`not saved: ${quote(message.text)} (${reason(error)})`);
    }
  }

  private tell(line: string): void {
    this.options.errors.write(`${line}\n`);
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > QUOTED_TEXT_MAX ? `${text.slice(0, QUOTED_TEXT_MAX - 1)}…` : text);
}

/** The error's own words, on one line (driver messages may span several). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim() || 'unknown error';
}
