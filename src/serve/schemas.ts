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
    replyParts: z.array(z.object({ part: z.number().int(), platformMessageId: z.string() })),
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
