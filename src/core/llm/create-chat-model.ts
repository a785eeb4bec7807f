import { LlmError, type ChatModel } from './chat-model.js';
import { EchoModel } from './echo-model.js';
import { OpenAIChatModel } from './openai-chat-model.js';

export interface ChatModelConfig {
  /** `echo` for the built-in offline model; anything else is a model name on the OpenAI-compatible endpoint. */
  model: string;
  /** Default: `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Default: `OPENAI_BASE_URL`, else OpenAI's own endpoint. */
  baseURL?: string;
  /** Idle timeout: the longest silence before the first byte and between chunks. Default 60 s. */
  timeoutMs?: number;
  /** The SDK's own retries (it obeys any Retry-After, uncapped): 0 for a caller that retries itself. Default 2. */
  maxRetries?: number;
}

/** Local servers such as Ollama or llama.cpp ignore the key, but the SDK refuses to run without one. */
const PLACEHOLDER_API_KEY = 'no-key-needed-for-local-endpoint';

/** False when `createChatModel` would refuse for want of an endpoint: no key, no base URL, and not the echo model. */
export function hasLlmEndpoint(config: ChatModelConfig): boolean {
  return config.model === 'echo' || Boolean(config.apiKey || process.env.OPENAI_API_KEY || config.baseURL || process.env.OPENAI_BASE_URL);
}

export function createChatModel(config: ChatModelConfig): ChatModel {
  if (config.model === 'echo') return new EchoModel();
  const apiKey = config.apiKey || process.env.OPENAI_API_KEY || undefined;
  const baseURL = config.baseURL || process.env.OPENAI_BASE_URL || undefined;
  if (!hasLlmEndpoint(config)) {
    throw new LlmError(
      `no LLM endpoint configured for model "${config.model}": set OPENAI_API_KEY, or OPENAI_BASE_URL / --base-url for a local endpoint such as Ollama (http://localhost:11434/v1), or use --model echo`,
      { failure: 'config' },
    );
  }
  return new OpenAIChatModel({
    model: config.model,
    apiKey: apiKey ?? PLACEHOLDER_API_KEY,
    baseURL,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
  });
}
