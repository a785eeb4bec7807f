import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import type { Logger } from '../../src/log.js';
import type { InboundSink, PlatformAdapter, ReplyTarget } from '../../src/runner/platform-adapter.js';
import { ConsoleIntake } from './console-intake.js';

export interface ConsoleAdapterOptions {
  sessionId: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Where a line that waits for the store, or could not be saved, is reported (default: stderr). */
  errors?: NodeJS.WritableStream;
  logger: Logger;
  /** Called when the user types /exit or closes the input, once every line before it is recorded. */
  onExit: () => void;
}

/**
 * The terminal as a chat: one line in, replies printed as they stream. It runs on the same runner as every
 * platform, so what works here (resume, /new, /history, the inbox) works the same on Telegram.
 */
export class ConsoleAdapter implements PlatformAdapter {
  readonly platform = 'console';
  readonly textLimit = 100_000;
  readonly minEditIntervalMs = 50;
  readonly commandHelp = '/exit - leave the console (the conversation is kept)';
  /** Its own inbox queue: another console on the same database never answers this one's session. */
  readonly queue: string;
  private readonly output: NodeJS.WritableStream;
  private readline?: Interface;
  private intake?: ConsoleIntake;
  /** What each reply message has printed so far, so an edit prints only what is new. */
  private readonly printed = new Map<string, string>();

  constructor(private readonly options: ConsoleAdapterOptions) {
    this.output = options.output ?? process.stdout;
    this.queue = `console:${options.sessionId}`;
  }

  async start(inbox: InboundSink): Promise<void> {
    const intake = new ConsoleIntake(inbox, { logger: this.options.logger, errors: this.options.errors ?? process.stderr });
    this.intake = intake;
    const exit = () => void intake.idle().then(this.options.onExit);
    this.readline = createInterface({ input: this.options.input ?? process.stdin, output: this.output, prompt: 'you> ' });
    this.readline.on('line', (line) => {
      const text = line.trim();
      if (text === '') return this.readline?.prompt();
      if (text === '/exit') return exit();
      intake.add({
        platform: 'console',
        botId: 'local',
        chatId: this.options.sessionId,
        sessionId: this.options.sessionId,
        userId: 'local',
        eventId: randomUUID(),
        text,
        isPrivate: true,
        addressed: true,
        replyTarget: { chatId: this.options.sessionId },
      });
    });
    this.readline.on('close', exit);
    this.readline.prompt();
  }

  /** The terminal is always there. */
  readiness(): undefined {
    return undefined;
  }

  async stop(): Promise<void> {
    this.intake?.stop();
    this.readline?.close();
  }

  async send(_target: ReplyTarget, text: string): Promise<string> {
    const id = randomUUID();
    this.printed.set(id, text);
    this.output.write(`\nbot> ${text}`);
    this.endReplySoon();
    return id;
  }

  async edit(_target: ReplyTarget, messageId: string, text: string): Promise<void> {
    const before = this.printed.get(messageId) ?? '';
    this.printed.set(messageId, text);
    // Streaming only ever extends the text; anything else is printed again in full.
    this.output.write(text.startsWith(before) ? text.slice(before.length) : `\nbot> ${text}`);
    this.endReplySoon();
  }

  async typing(): Promise<void> {}

  private endTimer?: NodeJS.Timeout;
  /** The runner has no "reply complete" call: a short quiet spell ends the reply line and shows the prompt. */
  private endReplySoon(): void {
    clearTimeout(this.endTimer);
    this.endTimer = setTimeout(() => {
      this.output.write('\n');
      this.readline?.prompt();
    }, 150);
  }
}
