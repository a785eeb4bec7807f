import { z } from '@hono/zod-openapi';

/** The API's shapes, once: routes validate with them and /openapi.json is generated from them. */

export const ErrorBody = z.object({ error: z.string(), code: z.string() }).openapi('Error');

export const ToolCall = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });

export const Message = z
  .object({
    seq: z.number().int(),
    turn: z.number().int(),
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string().nullable(),
    name: z.string().optional(),
    toolCalls: z.array(ToolCall).optional(),
    toolCallId: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string(),
  })
  .openapi('Message');

export const Session = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    messageCount: z.number().int(),
    version: z.number().int(),
  })
  .openapi('Session');

export const SessionIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'user-42' }) });

export const TurnResult = z
  .object({ reply: z.string(), turn: z.number().int(), messages: z.array(Message) })
  .openapi('TurnResult');

export const PostMessageBody = z
  .object({
    text: z.string().openapi({ example: 'Hello!' }),
    stream: z.boolean().optional().openapi({ description: 'Server-Sent Events (default) or one JSON answer (false)' }),
  })
  .openapi('PostMessage');

export const InboxEntry = z
  .object({
    id: z.number().int(),
    sessionId: z.string(),
    eventKey: z.string(),
    queue: z.string(),
    status: z.enum(['pending', 'done', 'refused', 'dead']),
    text: z.string().optional(),
    payloadError: z.string().optional().openapi({ description: 'why no worker can read this entry (it is dead-lettered when claimed)' }),
    receivedAt: z.string(),
    doneAt: z.string().optional(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().optional(),
    lastError: z.string().optional(),
    redeliveries: z.number().int(),
    answeredBy: z.object({ sessionId: z.string(), turn: z.number().int() }).optional(),
  })
  .openapi('InboxEntry');

export const InboxTimeline = z
  .object({
    entry: InboxEntry,
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        worker: z.string(),
        startedAt: z.string(),
        endedAt: z.string().optional(),
        stage: z.string(),
        errorClass: z.enum(['transient', 'permanent']).optional(),
        error: z.string().optional(),
      }),
    ),
    replyParts: z.array(z.object({ part: z.number().int(), platformMessageId: z.string(), deliveryError: z.string().optional() })),
    notices: z.array(z.object({ at: z.string(), text: z.string() })),
  })
  .openapi('InboxTimeline');

/** Responses every authenticated route may give. */
export const errorResponses = {
  400: { description: 'Bad input', content: { 'application/json': { schema: ErrorBody } } },
  401: { description: 'Missing, unknown or revoked API key', content: { 'application/json': { schema: ErrorBody } } },
  403: { description: 'The key may not use this session or endpoint', content: { 'application/json': { schema: ErrorBody } } },
  429: { description: 'Too many requests for this key (see Retry-After)', content: { 'application/json': { schema: ErrorBody } } },
  503: { description: 'The store is not reachable (see Retry-After)', content: { 'application/json': { schema: ErrorBody } } },
} as const;

export const notFound = { 404: { description: 'No such session or entry', content: { 'application/json': { schema: ErrorBody } } } } as const;

/** OpenAI's error shape, which the OpenAI-compatible routes answer with (OpenAI's SDKs read it). */
export const OpenAiErrorBody = z
  .object({ error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }) })
  .openapi('OpenAIError');

const ContentPart = z.object({ type: z.string(), text: z.string().optional() });

export const ChatCompletionMessage = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(ContentPart)]).nullable().optional(),
    name: z.string().optional(),
  })
  
  .openapi('ChatCompletionMessage');

export const ChatCompletionRequest = z
  .object({
    model: z.string().optional().openapi({ description: 'accepted and ignored: the agent answers with the model GET /v1/models lists' }),
    messages: z.array(ChatCompletionMessage).min(1).openapi({
      description: 'only the last user message is read: it is the new input. The history comes from the session in the store; earlier messages here are ignored',
    }),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    user: z.string().optional().openapi({ description: 'the session id, when no X-Session-Id header names one' }),
  })
  
  .openapi('ChatCompletionRequest');

export const ChatCompletionUsage = z
  .object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() })
  .openapi('ChatCompletionUsage', { description: 'always zeros: Threadline does not count tokens' });

export const ChatCompletion = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
        logprobs: z.null(),
        finish_reason: z.literal('stop'),
      }),
    ),
    usage: ChatCompletionUsage,
  })
  .openapi('ChatCompletion');
