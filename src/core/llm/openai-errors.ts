import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError } from './chat-model.js';
import { retryAfterMs } from './retry-after.js';
import type { UnusableAnswer } from './streamed-reply.js';

/** What an error message may say about the call: the endpoint is a host only, never a URL with credentials. */
export interface CallContext {
  endpoint: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** Only used to scrub it from server-provided text. */
  apiKey: string;
}

export function abortedError(context: CallContext): LlmError {
  return new LlmError(`LLM request to ${context.endpoint} was aborted`, { failure: 'aborted' });
}

export function timeoutError(context: CallContext, phase: 'waiting for the answer' | 'mid-answer'): LlmError {
  return new LlmError(
    `LLM request to ${context.endpoint} timed out ${phase} (${details(`no data for ${seconds(context.timeoutMs)}`, phase === 'waiting for the answer' && attempts(context))}); ` +
      'check that the endpoint is up and not overloaded, or raise the timeout (--llm-timeout, llmTimeout in the config file)',
    { failure: 'timeout' },
  );
}

/** Turns whatever the SDK threw into a one-line `LlmError`. */
export function toLlmError(error: unknown, context: CallContext): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof APIUserAbortError) return abortedError(context);
  if (error instanceof APIConnectionTimeoutError) return timeoutError(context, 'waiting for the answer');
  if (error instanceof APIConnectionError) {
    return new LlmError(
      `could not connect to LLM endpoint ${context.endpoint}: ${connectionProblem(error)}${parenthesized(attempts(context))}; ` +
        'check that the server is running and the base URL (OPENAI_BASE_URL or --base-url) is right',
      { failure: 'connection', cause: error.cause },
    );
  }
  if (error instanceof APIError) return statusError(error, context);
  // Not an SDK error: fetch failing while reading the body (the connection broke off mid-answer), or the stream
  // held something the SDK or this code could not handle. No `cause`: a parse error may quote the server's text
  // (see statusError).
  if (findCode(error)) {
    return new LlmError(
      `the connection to LLM endpoint ${context.endpoint} broke off mid-answer (${connectionProblem(error)}); retry, or check the server and any proxy in between`,
      { failure: 'connection' },
    );
  }
  return new LlmError(
    `LLM endpoint ${context.endpoint} sent an unusable answer (${oneLine(errorText(error), context)}); check that it speaks the OpenAI Chat Completions API`,
    { failure: 'protocol' },
  );
}

/** A stream that ended without making an answer (see `UnusableAnswer`) as a one-line `LlmError`. */
export function unusableAnswerError(unusable: UnusableAnswer, context: CallContext): LlmError {
  const { endpoint, model } = context;
  switch (unusable.kind) {
    case 'no-stream':
      return new LlmError(
        `LLM endpoint ${endpoint} answered with something that is not a stream of server-sent events; check that the base URL (OPENAI_BASE_URL or --base-url) points at an OpenAI-compatible API, not a web page or proxy`,
        { failure: 'protocol' },
      );
    case 'cut-off':
      return new LlmError(
        `the answer was cut off: LLM endpoint ${endpoint} ended the stream without a finish reason; retry, or check the server and any proxy in between`,
        { failure: 'protocol' },
      );
    case 'empty':
      return new LlmError(
        `LLM endpoint ${endpoint} sent an empty answer (no text and no tool calls, finish reason "${unusable.finishReason}"); retry, or check the model "${model}"`,
        { failure: 'protocol' },
      );
    case 'refused': {
      // Asking again gets the same refusal.
      const reason = unusable.refusal === undefined ? 'content filter' : `"${oneLine(unusable.refusal, context)}"`;
      return new LlmError(`model "${model}" at ${endpoint} refused to answer (${reason}); rephrase the message`, { failure: 'protocol', transient: false });
    }
  }
}

// The server's text is not passed on as `cause`: it may echo the request, API key included.
function statusError(error: APIError, context: CallContext): LlmError {
  const { endpoint, model } = context;
  const detail = oneLine(serverMessage(error), context);
  const status = error.status;
  const answered = status === undefined ? `LLM endpoint ${endpoint} reported an error mid-answer (${detail})` : `LLM endpoint ${endpoint} answered HTTP ${status} (${detail})`;
  // Permanent however it arrives: the same conversation is as long on the next try.
  if (isContextTooLong(error)) {
    return new LlmError(`the conversation is too long for model "${model}": ${answered}; /new starts a fresh one`, { failure: 'status', status, transient: false });
  }
  const retryAfter = { retryAfterMs: retryAfterMs(error.headers) };
  if (status === undefined) return new LlmError(`${answered}; retry, or check the server's logs`, { failure: 'status', ...retryAfter });
  const retries = context.maxRetries > 0 ? `still failing after ${context.maxRetries} retries` : 'retries are off';
  let advice: string;
  if (status === 401 || status === 403) advice = 'the API key was refused: check OPENAI_API_KEY';
  else if (status === 404) advice = `check the model name "${model}" and the base URL (it usually ends in /v1)`;
  else if (status === 408) advice = `the endpoint timed out the request, ${retries}: retry later`;
  else if (status === 409) advice = `the endpoint reported a conflict, ${retries}: retry`;
  else if (status === 429) advice = `rate limited, ${retries}: wait and retry, or raise the account's rate limits`;
  else if (status >= 500) advice = `the service is failing, ${retries}: retry later or check the server`;
  else advice = `the request was rejected: check the model "${model}" and its options`;
  return new LlmError(`${answered}; ${advice}`, { failure: 'status', status, ...retryAfter });
}

/**
 * OpenAI says `context_length_exceeded`; other servers only say it in words ("maximum context length",
 * llama.cpp's "exceeds the available context size", "prompt is too long").
 */
function isContextTooLong(error: APIError): boolean {
  if (error.code === 'context_length_exceeded') return true;
  const rejected = error.status === undefined || error.status === 400 || error.status === 413;
  return rejected && /context[ _-]?(length|size|window)|prompt is too long/i.test(serverMessage(error));
}

function serverMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  if (typeof body?.message === 'string') return body.message;
  return error.message.replace(/^\d{3}\s+/, '') || 'no error message';
}

function connectionProblem(error: unknown): string {
  const code = findCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'UND_ERR_SOCKET') return 'the server closed the connection';
  return code ?? errorText((error as { cause?: unknown }).cause ?? error);
}

/**
 * Node reports network failures as `TypeError: fetch failed` (or `terminated`, when the body breaks off) with
 * the errno code (or undici's `UND_ERR_SOCKET`) somewhere down the cause chain.
 */
function findCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_ERR'))) return code;
    // Happy-eyeballs connection attempts fail as an AggregateError of per-address errors.
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

/** How many times the SDK tried, when it retried at all. */
function attempts(context: CallContext): string | undefined {
  return context.maxRetries > 0 ? `${context.maxRetries + 1} attempts` : undefined;
}

function details(...parts: Array<string | false | undefined>): string {
  return parts.filter(Boolean).join(', ');
}

function parenthesized(text: string | undefined): string {
  return text ? ` (${text})` : '';
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Below this length a "key" is a placeholder, and scrubbing it would garble ordinary words. */
const MIN_SECRET_KEY_LENGTH = 8;

/** Server text made safe for a one-line message: no API key, no line breaks, bounded length. */
function oneLine(text: string, context: CallContext): string {
  const scrubbed = context.apiKey.length >= MIN_SECRET_KEY_LENGTH ? text.split(context.apiKey).join('***') : text;
  const flat = scrubbed.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
