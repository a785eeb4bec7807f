import OpenAI from 'openai';
import { LlmError, type AssistantReply, type ChatModel, type ChatRequest } from './chat-model.js';
import { IdleTimer } from './idle-timer.js';
import { abortedError, timeoutError, toLlmError, unusableAnswerError, type CallContext } from './openai-errors.js';
import { toApiMessages, toApiTools } from './openai-request.js';
import { StreamedReply } from './streamed-reply.js';

export interface OpenAIChatModelOptions {
  model: string;
  apiKey: string;
  /** An OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` for Ollama. Default: OpenAI's. */
  baseURL?: string;
  /**
   * An idle timeout: how long to wait for the response headers, then for the first chunk, and at most between
   * two chunks. A chunk without text counts as activity; an SSE comment (a proxy's keep-alive) does not, as it
   * says nothing about the model. Default `DEFAULT_LLM_TIMEOUT_MS`.
   */
  timeoutMs?: number;
  /**
   * Retries of 408/409/429/5xx answers and failed connections, with backoff, done by the SDK. It waits as long
   * as a Retry-After header says, without a cap, so a caller that retries on its own passes 0. Default 2.
   */
  maxRetries?: number;
}

export const DEFAULT_LLM_TIMEOUT_MS = 60_000;

/** A `ChatModel` on any endpoint that speaks the OpenAI Chat Completions API with streaming. */
export class OpenAIChatModel implements ChatModel {
  readonly model: string;
  /** The endpoint's host: safe to print. */
  readonly endpoint: string;
  private readonly client: OpenAI;
  private readonly context: CallContext;

  constructor(options: OpenAIChatModelOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
    const maxRetries = options.maxRetries ?? 2;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: timeoutMs,
      maxRetries,
      // Every failure reaches the caller as a one-line LlmError; the SDK would also print the server's raw,
      // unscrubbed text to the console. OPENAI_LOG still turns its logging on for debugging.
      logLevel: process.env.OPENAI_LOG ? undefined : 'off',
    });
    this.model = options.model;
    this.endpoint = hostOf(this.client.baseURL);
    this.context = { endpoint: this.endpoint, model: this.model, timeoutMs, maxRetries, apiKey: options.apiKey };
  }

  async *stream(request: ChatRequest): AsyncGenerator<string, AssistantReply, void> {
    const { signal } = request;
    if (signal?.aborted) throw abortedError(this.context);
    // One controller ends the HTTP request on the caller's abort, on a stall, and when the consumer stops early.
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const stall = new IdleTimer(this.context.timeoutMs, abort);
    const reply = new StreamedReply();
    try {
      const chunks = await this.client.chat.completions.create(
        { model: this.model, messages: toApiMessages(request.messages), tools: toApiTools(request.tools), stream: true },
        { signal: controller.signal },
      );
      stall.restart();
      for await (const chunk of chunks) {
        const text = reply.add(chunk);
        if (text === '') {
          stall.restart();
          continue;
        }
        // The consumer's time handling a delta is not the server stalling.
        stall.stop();
        yield text;
        stall.restart();
      }
    } catch (error) {
      throw this.failure(signal, stall) ?? toLlmError(error, this.context);
    } finally {
      stall.stop();
      signal?.removeEventListener('abort', abort);
      controller.abort();
    }
    // The SDK ends an aborted stream quietly, as if the answer were complete.
    const failure = this.failure(signal, stall);
    if (failure) throw failure;
    // Also quietly: a body that breaks off cleanly, or was never a stream; neither is an answer.
    const unusable = reply.unusable();
    if (unusable) throw unusableAnswerError(unusable, this.context);
    return reply.reply();
  }

  private failure(signal: AbortSignal | undefined, stall: IdleTimer) {
    if (signal?.aborted) return abortedError(this.context);
    if (stall.fired) return timeoutError(this.context, 'mid-answer');
    return undefined;
  }
}

function hostOf(baseURL: string): string {
  // `localhost:11434/v1` parses as a URL with scheme `localhost:`, so the scheme is checked too.
  const url = URL.canParse(baseURL) ? new URL(baseURL) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    // Not echoed: a mistyped URL may hold credentials.
    throw new LlmError('the LLM base URL is not an http(s) URL: set OPENAI_BASE_URL / --base-url like http://localhost:11434/v1', { failure: 'config' });
  }
  return url.host;
}
