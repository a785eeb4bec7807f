import { ThreadlineError } from '../../store/errors.js';
import type { ToolCall } from '../../store/types.js';

/** A message in the shape the Chat Completions API takes. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  /** Speaker name on a user message; ignored on tool messages (the API does not take it there). */
  name?: string;
  tool_calls?: ToolCall[];
  /** On a `tool` message: the id of the call it answers. */
  tool_call_id?: string;
  /** On a user message: images the model is shown with its text (as `image_url` content parts with data: URLs). */
  images?: ChatImage[];
}

/** An image the user sent, as the model gets it. */
export interface ChatImage {
  mimeType: string;
  /** The bytes, base64. */
  base64: string;
}

/** A function the model may call, described for the model. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  signal?: AbortSignal;
}

export interface AssistantReply {
  content: string | null;
  toolCalls: ToolCall[];
}

export interface ChatModel {
  readonly model: string;
  /** Yields text deltas as they arrive; the generator's return value is the complete assistant message. */
  stream(request: ChatRequest): AsyncGenerator<string, AssistantReply, void>;
}

/**
 * Why an LLM call failed, for callers that react differently (e.g. an aborted turn is not a failure to report).
 * `config`: the model could not be set up; `status`: the endpoint answered an HTTP error; `protocol`: it sent
 * something unusable.
 */
export type LlmFailure = 'config' | 'status' | 'timeout' | 'connection' | 'aborted' | 'protocol';

/** An LLM call failed. The message is one line: what failed, which endpoint (host only), what to do. */
export class LlmError extends ThreadlineError {
  /** Absent when the thrower did not classify the failure (e.g. a test double). */
  readonly failure?: LlmFailure;
  /** The HTTP status, when the endpoint answered one. */
  readonly status?: number;
  /**
   * Worth trying again later: 408/409/429/5xx, a timeout, a dropped connection, a cut or unusable answer. Not:
   * a bad key, an unknown model, a request the endpoint rejects (400, context too long), a refusal by the model,
   * a config problem.
   */
  readonly transient: boolean;
  /** How long the endpoint asked to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: { failure?: LlmFailure; status?: number; cause?: unknown; transient?: boolean; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.failure = options.failure;
    this.status = options.status;
    this.transient = options.transient ?? isTransientLlmFailure(options.failure, options.status);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The default reading of a failure kind and HTTP status (see `LlmError.transient`). */
export function isTransientLlmFailure(failure: LlmFailure | undefined, status: number | undefined): boolean {
  if (failure === 'status') return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
  return failure === 'timeout' || failure === 'connection' || failure === 'protocol';
}
