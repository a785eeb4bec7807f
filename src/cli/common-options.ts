/**
 * Options shared by the `persistence`, `inbox` and `bot` command groups, so both read the database and the LLM settings
 * the same way. Defaults that come from the environment are resolved when the command runs, never shown in
 * `--help` (DATABASE_URL may hold a password).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_MODEL } from '../core/agent.js';
import type { ChatModel } from '../core/llm/chat-model.js';
import { createChatModel, type ChatModelConfig } from '../core/llm/create-chat-model.js';
import { DEFAULT_LLM_TIMEOUT_MS } from '../core/llm/openai-chat-model.js';

export const DEFAULT_DB_FILE = './threadline.db';
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.';

export interface DbOptions {
  db?: string;
  /** The spelling of earlier releases, still accepted. */
  conversationUrl?: string;
}

export interface LlmOptions {
  model?: string;
  baseUrl?: string;
  /** Seconds without a token before an LLM call fails (`llmTimeout` in the config file). */
  llmTimeout?: number;
}

export interface InstructionsOptions {
  instructions: string;
}

/**
 * `--db <url>`, the store option of every command, and `--conversation-url`, its earlier spelling: listed in the
 * help only where it was documented (`persistence resume`), accepted everywhere so old scripts keep working.
 */
export function addDbOption(command: Command, { showAlias = false }: { showAlias?: boolean } = {}): Command {
  const alias = new Option('--conversation-url <url>', 'the same as --db').conflicts('db');
  return command
    .addOption(
      new Option('--db <url>', 'store: postgres://… (several workers), sqlite:///abs.db, sqlite:rel.db or a file path (default: $THREADLINE_DB, else $DATABASE_URL, else ./threadline.db)'),
    )
    .addOption(showAlias ? alias : alias.hideHelp());
}

/** `--db` (or `--conversation-url`), else THREADLINE_DB, else DATABASE_URL, else ./threadline.db. */
export function resolveDbUrl(options: DbOptions, env: NodeJS.ProcessEnv = process.env): string {
  return options.db || options.conversationUrl || env.THREADLINE_DB || env.DATABASE_URL || DEFAULT_DB_FILE;
}

export function addLlmOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <name>', `LLM model, or "echo" for the built-in offline model (default: $OPENAI_MODEL, else ${DEFAULT_MODEL})`))
    .addOption(new Option('--base-url <url>', 'OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: $OPENAI_BASE_URL, else OpenAI); the key comes from $OPENAI_API_KEY'))
    .addOption(
      new Option('--llm-timeout <seconds>', `seconds the LLM may stay silent (before its first byte, between tokens) before the call fails (default: ${DEFAULT_LLM_TIMEOUT_MS / 1000})`).argParser(
        positiveSeconds,
      ),
    );
}

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a number of seconds above 0, e.g. 60 or 2.5');
  return seconds;
}

/** The model settings the options and environment give (the API key is only ever read from OPENAI_API_KEY). */
export function llmConfig(options: LlmOptions, env: NodeJS.ProcessEnv = process.env): ChatModelConfig {
  return {
    model: options.model || env.OPENAI_MODEL || DEFAULT_MODEL,
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    // Rounded up, so that any positive number of seconds stays a positive timeout.
    ...(options.llmTimeout ? { timeoutMs: Math.ceil(options.llmTimeout * 1000) } : {}),
  };
}

/** Fails here, before anything is read or written, when no endpoint is configured. */
export function chatModelFromOptions(options: LlmOptions): ChatModel {
  return createChatModel(llmConfig(options));
}

export function addInstructionsOption(command: Command): Command {
  return command.addOption(new Option('--instructions <text>', 'system instructions for the agent').default(DEFAULT_INSTRUCTIONS));
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON instead of text');
}
