/**
 * Options shared by the `persistence`, `inbox` and `bot` command groups, so both read the database and the LLM settings
 * the same way. Defaults that come from the environment are resolved when the command runs, never shown in
 * `--help` (DATABASE_URL may hold a password).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_MODEL } from '../core/agent.js';
import type { ChatModel } from '../core/llm/chat-model.js';
import { createChatModel, type ChatModelConfig } from '../core/llm/create-chat-model.js';
import { DEFAULT_DB_FILE, storeAndModelSettings } from '../settings/runner-settings.js';
import { addSettingFlags } from './setting-flags.js';

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
  return addSettingFlags(command, { db: storeAndModelSettings.db }).addOption(showAlias ? alias : alias.hideHelp());
}

/** `--db` (or `--conversation-url`), else THREADLINE_DB, else DATABASE_URL, else ./threadline.db. */
export function resolveDbUrl(options: DbOptions, env: NodeJS.ProcessEnv = process.env): string {
  return options.db || options.conversationUrl || env.THREADLINE_DB || env.DATABASE_URL || DEFAULT_DB_FILE;
}

export function addLlmOptions(command: Command): Command {
  const { model, baseUrl, llmTimeout } = storeAndModelSettings;
  return addSettingFlags(command, { model, baseUrl, llmTimeout });
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
  return addSettingFlags(command, { instructions: storeAndModelSettings.instructions });
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON instead of text');
}
