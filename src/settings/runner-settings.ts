import { z } from 'zod';
import { DEFAULT_MODEL } from '../core/agent.js';
import { DEFAULT_LLM_TIMEOUT_MS } from '../core/llm/openai-chat-model.js';
import { parseSendLimit } from '../runner/send-budget.js';
import { setting } from './setting.js';
import { checkedText, port, positiveNumber, text, wholeNumber } from './values.js';

/*
 * The runner's settings, declared once: the flags every `threadline bot <platform>` takes, and the config file's keys
 * at the top level (every platform) and in a platform's section (that platform's bots only).
 */

export const DEFAULT_DB_FILE = './threadline.db';
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How one bot's runner treats its messages: a config section may set them per bot. */
export const runnerSettings = {
  allow: setting(z.array(text()).optional(), {
    description: 'comma-separated user or chat ids allowed to talk to the bot (default: everyone)',
    value: 'ids',
    list: 'comma',
  }),
  groupPolicy: setting(z.enum(['mention_only', 'respond_all', 'command_only']).default('mention_only'), {
    description: 'in groups: answer when addressed, everything, or commands only',
    value: 'policy',
  }),
  sessionScope: setting(z.enum(['chat', 'user']).default('chat'), { description: 'one session per chat, or per user inside group chats', value: 'scope' }),
  queueMode: setting(z.enum(['sequential', 'collect']).default('sequential'), {
    description: 'messages sent mid-turn: answered one by one, or together in one turn',
    value: 'mode',
  }),
  stream: setting(z.boolean().default(true), { description: 'send each reply once, complete, instead of editing it as it streams' }),
  streamEditInterval: setting(wholeNumber(0).default(700), { description: 'least time between two edits of a streaming reply', value: 'ms' }),
  concurrency: setting(wholeNumber(1).default(4), { description: 'conversations this worker answers at once', value: 'n' }),
  maxAttempts: setting(wholeNumber(1).default(3), { description: 'attempts on a message before it is given up on (dead-lettered, the user told)', value: 'n' }),
  llmRetryWindow: setting(positiveNumber().default(300), {
    description: 'how long a failing model (429, 5xx, timeouts) is asked again before the message is given up on',
    value: 'seconds',
  }),
  sendLimits: setting(z.boolean().default(true), { description: "send as fast as replies come, without pacing by the platform's rate limits" }),
  sendLimit: setting(z.array(checkedText(parseSendLimit)).optional(), {
    description: "replace one of the platform's send limits: <name>=<n>/s or /min, optionally :<burst> (private=1/s:3, group=20/min); repeatable",
    value: 'name=rate',
    list: 'repeat',
  }),
  sendWait: setting(positiveNumber().default(10), {
    description: 'longest a reply waits for its send budget (or a 429 pause) before its message is tried again later',
    value: 'seconds',
  }),
  vision: setting(z.boolean().optional(), { description: 'the model can see images: photos go to it as image parts (default: off, except for the echo model)' }),
  maxMediaMb: setting(positiveNumber().default(20), {
    description: 'largest attachment (photo, voice message, file) the bot downloads; bigger ones get a reply naming the limit',
    value: 'mb',
  }),
  maxDocumentChars: setting(wholeNumber(1).default(20_000), { description: 'most characters of a text file or PDF the model is given (the rest is cut, and it is told)', value: 'n' }),
  maxPdfPages: setting(wholeNumber(1).default(20), { description: 'most pages of a PDF read', value: 'n' }),
  transcriptionModel: setting(text().optional(), {
    description: 'transcribe voice messages and audio files with this model (e.g. whisper-1) on the LLM endpoint (default: none; the sender is told)',
    value: 'name',
  }),
};

/** The process's own settings: one of each per process, so top level only in the config file. */
export const processSettings = {
  name: setting(text().default('Threadline'), { description: "the bot's name, used in its greeting", value: 'name' }),
  opsPort: setting(port().optional(), { description: 'serve /healthz, /readyz and /metrics (Prometheus) on this port (0: any free one; default: none)', value: 'port' }),
  opsHost: setting(text().default('127.0.0.1'), { description: 'address the ops server listens on', value: 'host' }),
  logLevel: setting(z.enum(LOG_LEVELS).optional(), { description: 'how much to log', value: 'level', defaultText: '$THREADLINE_LOG_LEVEL, else info' }),
};

/**
 * The store and the model: flags of every command group (common-options.ts adds them), top-level keys of the config
 * file. Their environment fallbacks are resolved where they are used (resolveDbUrl, llmConfig), never shown as
 * values in the help (DATABASE_URL may hold a password).
 */
export const storeAndModelSettings = {
  db: setting(text().optional(), {
    description: 'store: postgres://… (several workers), sqlite:///abs.db, sqlite:rel.db or a file path',
    value: 'url',
    defaultText: `$THREADLINE_DB, else $DATABASE_URL, else ${DEFAULT_DB_FILE}`,
  }),
  model: setting(text().optional(), { description: 'LLM model, or "echo" for the built-in offline model', value: 'name', defaultText: `$OPENAI_MODEL, else ${DEFAULT_MODEL}` }),
  baseUrl: setting(text().optional(), {
    description: 'OpenAI-compatible endpoint, e.g. http://localhost:11434/v1; the key comes from $OPENAI_API_KEY',
    value: 'url',
    defaultText: '$OPENAI_BASE_URL, else OpenAI',
  }),
  llmTimeout: setting(positiveNumber('a number of seconds above 0, e.g. 60 or 2.5').optional(), {
    description: 'seconds the LLM may stay silent (before its first byte, between tokens) before the call fails',
    value: 'seconds',
    defaultText: String(DEFAULT_LLM_TIMEOUT_MS / 1000),
  }),
  instructions: setting(text().default(DEFAULT_INSTRUCTIONS), { description: 'system instructions for the agent', value: 'text' }),
};

export type RunnerSettings = z.output<z.ZodObject<typeof runnerSettings>>;
export type ProcessSettings = z.output<z.ZodObject<typeof processSettings>>;
export type StoreAndModelSettings = z.output<z.ZodObject<typeof storeAndModelSettings>>;
