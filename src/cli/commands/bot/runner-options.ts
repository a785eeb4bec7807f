import { InvalidArgumentError, Option, type Command } from 'commander';
import type { GroupPolicy } from '../../../runner/access-policy.js';
import type { QueueMode } from '../../../runner/bot-runner.js';
import { parseSendLimit } from '../../../runner/send-budget.js';
import type { SessionScope } from '../../../runner/session-key.js';
import { addDbOption, addInstructionsOption, addLlmOptions, type DbOptions, type InstructionsOptions, type LlmOptions } from '../../common-options.js';

/** Options every `threadline bot <platform>` takes: store, model, and how the runner treats messages. */
export interface RunnerCliOptions extends DbOptions, LlmOptions, InstructionsOptions {
  name: string;
  allow?: string[];
  groupPolicy: GroupPolicy;
  sessionScope: SessionScope;
  queueMode: QueueMode;
  stream: boolean;
  streamEditInterval: number;
  concurrency: number;
  maxAttempts: number;
  llmRetryWindow: number;
  /** Pace sends by the platform's rate limits, shared by every worker (`--no-send-limits`: off). */
  sendLimits: boolean;
  /** `--send-limit <name>=<rate>/s|/min[:<burst>]`, as written (checked when parsed). */
  sendLimit?: string[];
  /** Seconds a reply may wait for its send budget within one attempt. */
  sendWait: number;
  /** The model sees images (they go to it as image parts); off, a photo without a caption is answered that it cannot. */
  vision?: boolean;
  /** Largest attachment downloaded, in MB (default 20, Telegram's own limit for bots). */
  maxMediaMb: number;
  /** Most characters of a file inlined as text (default 20 000). */
  maxDocumentChars: number;
  /** Most pages of a PDF read (default 20). */
  maxPdfPages: number;
  /** Transcribe voice messages and audio files with this model on the LLM endpoint (`/audio/transcriptions`). */
  transcriptionModel?: string;
  /** Port of the ops server (/healthz, /readyz, /metrics); without it the process serves none. */
  opsPort?: number;
  opsHost: string;
  logLevel?: string;
}

export const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
};

export const atLeastOne = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
};

export const portNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port)');
  return n;
};

export const positiveSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0, such as 300 or 0.5');
  return n;
};

export const positiveMegabytes = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of megabytes above 0, such as 20 or 0.5');
  return n;
};

/** How hard a message is tried before it is given up on: every worker that runs turns (bots, serve) takes these. */
export function addAttemptOptions(command: Command): Command {
  return command
    .addOption(new Option('--max-attempts <n>', 'attempts on a message before it is given up on (dead-lettered, the user told)').argParser(atLeastOne).default(3))
    .addOption(
      new Option('--llm-retry-window <seconds>', 'how long a failing model (429, 5xx, timeouts) is asked again before the message is given up on')
        .argParser(positiveSeconds)
        .default(300),
    );
}

/** A repeatable `--send-limit`: each one checked, all of them kept in order. */
const sendLimitSpec = (value: string, previous: string[] | undefined) => {
  try {
    parseSendLimit(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return [...(previous ?? []), value];
};

/** How sends are paced by the platform's rate limits (see README "Rate limits"). */
export function addSendLimitOptions(command: Command): Command {
  return command
    .addOption(new Option('--no-send-limits', "send as fast as replies come, without pacing by the platform's rate limits"))
    .addOption(
      new Option('--send-limit <name=rate>', "replace one of the platform's send limits: <name>=<n>/s or /min, optionally :<burst> (private=1/s:3, group=20/min); repeatable")
        .argParser(sendLimitSpec),
    )
    .addOption(
      new Option('--send-wait <seconds>', 'longest a reply waits for its send budget (or a 429 pause) before its message is tried again later')
        .argParser(positiveSeconds)
        .default(10),
    );
}

export function addRunnerOptions(command: Command): Command {
  addLlmOptions(command);
  addAttemptOptions(command);
  addInstructionsOption(command);
  addDbOption(command);
  addSendLimitOptions(command);
  return command
    .addOption(new Option('--name <name>', 'the bot\'s name, used in its greeting').default('Threadline'))
    .addOption(
      new Option('--allow <ids>', 'comma-separated user or chat ids allowed to talk to the bot (default: everyone)').argParser((v) =>
        v.split(',').map((s) => s.trim()).filter(Boolean),
      ),
    )
    .addOption(new Option('--group-policy <policy>', 'in groups: answer when addressed, everything, or commands only').choices(['mention_only', 'respond_all', 'command_only']).default('mention_only'))
    .addOption(new Option('--session-scope <scope>', 'one session per chat, or per user inside group chats').choices(['chat', 'user']).default('chat'))
    .addOption(new Option('--queue-mode <mode>', 'messages sent mid-turn: answered one by one, or together in one turn').choices(['sequential', 'collect']).default('sequential'))
    .addOption(new Option('--no-stream', 'send each reply once, complete, instead of editing it as it streams'))
    .addOption(new Option('--stream-edit-interval <ms>', 'least time between two edits of a streaming reply').argParser(positiveInt).default(700))
    .addOption(new Option('--concurrency <n>', 'conversations this worker answers at once').argParser(positiveInt).default(4))
    .addOption(new Option('--vision', 'the model can see images: photos go to it as image parts (default: off, except for the echo model)'))
    .addOption(
      new Option('--max-media-mb <mb>', 'largest attachment (photo, voice message, file) the bot downloads; bigger ones get a reply naming the limit')
        .argParser(positiveMegabytes)
        .default(20),
    )
    .addOption(new Option('--max-document-chars <n>', 'most characters of a text file or PDF the model is given (the rest is cut, and it is told)').argParser(atLeastOne).default(20_000))
    .addOption(new Option('--max-pdf-pages <n>', 'most pages of a PDF read').argParser(atLeastOne).default(20))
    .addOption(
      new Option('--transcription-model <name>', 'transcribe voice messages and audio files with this model (e.g. whisper-1) on the LLM endpoint (default: none; the sender is told)'),
    )
    .addOption(new Option('--ops-port <port>', 'serve /healthz, /readyz and /metrics (Prometheus) on this port (0: any free one; default: none)').argParser(portNumber))
    .addOption(new Option('--ops-host <host>', 'address the ops server listens on').default('127.0.0.1'))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error (default: $THREADLINE_LOG_LEVEL, else info)'));
}
