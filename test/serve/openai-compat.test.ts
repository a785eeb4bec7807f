import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, PermissionDeniedError } from 'openai';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppendOnlyText } from '../../src/serve/append-only-text.js';
import { defaultHandler, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { bearer, serveWorld, type ServeProcess } from './serve-world.js';

/** The official `openai` client against a real `threadline serve`: it must work unchanged. */
describe('threadline serve: OpenAI-compatible /v1/chat/completions', () => {
  const world = serveWorld('serve_openai');
  let serve: ServeProcess;
  let key: string;
  let scoped: string;
  let llm: FakeOpenAI;
  beforeAll(() => ({ serve, key, scoped, llm } = world));

  const client = (options: { session?: string; apiKey?: string; maxRetries?: number } = {}) =>
    new OpenAI({
      apiKey: options.apiKey ?? key,
      baseURL: `${serve.url}/v1`,
      maxRetries: options.maxRetries ?? 2,
      ...(options.session ? { defaultHeaders: { 'X-Session-Id': options.session } } : {}),
    });

  /** What the store holds for a session, read through the native API. */
  const stored = async (session: string) => {
    const page = (await (await fetch(`${serve.url}/v1/sessions/${encodeURIComponent(session)}/messages?limit=100`, { headers: bearer(key) })).json()) as {
      messages: Array<{ role: string; content: string; turn: number }>;
    };
    return page.messages;
  };
  const storedReply = async (session: string) => (await stored(session)).filter((m) => m.role === 'assistant').at(-1)?.content;

  beforeEach(() => llm.setHandler(defaultHandler));

  it('answers a chat.completion, and the next call sees the history from the store, not from the body', async () => {
    const openai = client({ session: 'chat-1' });
    const { data: first, response } = await openai.chat.completions
      .create({ model: 'whatever', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: 'hello' }] })
      .withResponse();
    expect(first).toMatchObject({
      object: 'chat.completion',
      model: 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', content: 'reply to: hello (saw 2 messages)' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    expect(first.id).toBe(`chatcmpl-${response.headers.get('x-turn-id')}`);
    expect(first.created).toBeGreaterThan(1_600_000_000);

    // Earlier messages in the body are not the history: the store's are (system + 2 stored + the new input).
    const second = await openai.chat.completions.create({
      model: 'fake-model',
      messages: [
        { role: 'user', content: 'made-up earlier message' },
        { role: 'assistant', content: 'made-up earlier reply' },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
    });
    expect(second.choices[0].message.content).toBe('reply to: again (saw 4 messages)');
    expect((await stored('chat-1')).map((m) => [m.role, m.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'reply to: hello (saw 2 messages)'],
      ['user', 'again'],
      ['assistant', 'reply to: again (saw 4 messages)'],
    ]);
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['fake-model']);
  });

  it('streams chat.completion.chunk events whose content is the stored reply, ending in [DONE]', async () => {
    llm.setHandler(() => ({ content: 'one two three four five six', chunkDelayMs: 30 }));
    const openai = client({ session: 'stream-1' });
    const stream = await openai.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'go' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('one two three four five six');
    expect(content).toBe(await storedReply('stream-1'));
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason ?? null).filter((f) => f !== null);
    expect(finishes).toEqual(['stop']);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 0 } });
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['chat.completion.chunk']));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    // On the wire: data lines only, the last one [DONE].
    const raw = await fetch(`${serve.url}/v1/chat/completions`, {
      method: 'POST',
      headers: bearer(key, { 'x-session-id': 'stream-1' }),
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'raw' }], stream: true }),
    });
    expect(raw.headers.get('content-type')).toMatch(/text\/event-stream/);
    const lines = (await raw.text()).split('\n').filter((l) => l !== '');
    expect(lines.every((l) => l.startsWith('data: '))).toBe(true);
    expect(lines.at(-1)).toBe('data: [DONE]');
  });

  it('takes the session from the "user" field when no header names it', async () => {
    const reply = await client().chat.completions.create({ model: 'fake-model', user: 'by-user-field', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0].message.content).toBe('reply to: hi (saw 2 messages)');
    expect(await storedReply('by-user-field')).toBe('reply to: hi (saw 2 messages)');
    // The header wins over the field.
    await client({ session: 'by-header' }).chat.completions.create({ model: 'fake-model', user: 'by-user-field', messages: [{ role: 'user', content: 'hi' }] });
    expect(await stored('by-header')).toHaveLength(2);
    expect(await stored('by-user-field')).toHaveLength(2);
  });

  it('refuses in OpenAI\'s error shape, which the SDK throws as its own errors', async () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const missing = await client().chat.completions.create({ model: 'fake-model', messages }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadRequestError);
    expect((missing as BadRequestError).status).toBe(400);
    expect((missing as BadRequestError).message).toMatch(/X-Session-Id/);
    expect((missing as BadRequestError).code).toBe('missing_session');

    const raw = await fetch(`${serve.url}/v1/chat/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ messages }) });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: { message: expect.stringMatching(/X-Session-Id/), type: 'invalid_request_error', code: 'missing_session', param: null } });

    const wrongKey = client({ session: 's', apiKey: 'tl_not-a-key' });
    await expect(wrongKey.chat.completions.create({ model: 'fake-model', messages })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(wrongKey.models.list()).rejects.toSatisfy((e: unknown) => e instanceof AuthenticationError && /unknown or revoked/.test(e.message));

    const outside = await client({ session: 'other:1', apiKey: scoped }).chat.completions.create({ model: 'fake-model', messages }).catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(PermissionDeniedError);
    expect((outside as PermissionDeniedError).message).toContain('acme:');
    const inside = await client({ session: 'acme:1', apiKey: scoped }).chat.completions.create({ model: 'fake-model', messages });
    expect(inside.choices[0].message.content).toBe('reply to: hi (saw 2 messages)');

    const noUser = await client({ session: 's' }).chat.completions.create({ model: 'fake-model', messages: [{ role: 'system', content: 'x' }] }).catch((e: unknown) => e);
    expect(noUser).toBeInstanceOf(BadRequestError);
    expect((noUser as BadRequestError).message).toMatch(/no user message/);
    const invalid = await client({ session: 's' }).chat.completions.create({ model: 'fake-model', messages: [] }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect((invalid as BadRequestError).message).toMatch(/^400 messages:/);
  });

  it('answers a retried request with the same Idempotency-Key from the first turn', async () => {
    const openai = client({ session: 'idem' });
    const body = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'once' }] };
    const first = await openai.chat.completions.create(body, { headers: { 'Idempotency-Key': 'chat-req-1' } });
    const again = await openai.chat.completions.create({ ...body, stream: true }, { headers: { 'Idempotency-Key': 'chat-req-1' } });
    let content = '';
    for await (const chunk of again) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toBe(first.choices[0].message.content);
    expect(await stored('idem')).toHaveLength(2);
  });

  it('ends a dead-lettered turn with a 502 the SDK does not resend, or a stream error the SDK throws', async () => {
    llm.setHandler(() => ({ status: 400, errorMessage: 'bad request from the fake' }));
    const before = llm.requests.length;
    const failed = await client({ session: 'dead' }).chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'fail' }] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(InternalServerError);
    expect((failed as InternalServerError).status).toBe(502);
    expect((failed as InternalServerError).code).toBe('dead_letter');
    expect((failed as InternalServerError).message).toMatch(/^502 \S/);
    // One turn, one model call: the SDK was told not to resend (it would have been a second turn).
    expect(llm.requests.length - before).toBe(1);

    const stream = await client({ session: 'dead' }).chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'fail' }], stream: true });
    const seen: string[] = [];
    const thrown = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.role ?? chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(APIError);
    expect((thrown as APIError).code).toBe('dead_letter');
    expect((thrown as APIError).message.length).toBeGreaterThan(5);
    expect(seen).toEqual(['assistant']);
  });

  it('streams the whole reply once when the model fails mid-stream and is asked again', async () => {
    // First call: two words, then the connection breaks (a transient failure: the runner asks again and resets the log).
    let calls = 0;
    llm.setHandler(() => (++calls === 1 ? { content: 'alpha beta', chunkDelayMs: 60, resetMidStream: true } : { content: 'alpha beta gamma delta', chunkDelayMs: 30 }));
    const stream = await client({ session: 'retried' }).chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'go' }], stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(calls).toBe(2);
    expect(content).toBe('alpha beta gamma delta');
    expect(await storedReply('retried')).toBe(content);

    // Asked again, the model says something else: the text already sent cannot be taken back, so the stream fails clearly.
    calls = 0;
    llm.setHandler(() => (++calls === 1 ? { content: 'alpha beta', chunkDelayMs: 60, resetMidStream: true } : { content: 'something else' }));
    const diverging = await client({ session: 'replaced' }).chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'go' }], stream: true });
    let partial = '';
    const thrown = await (async () => {
      for await (const chunk of diverging) partial += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    // What streamed before the break (the last word may not have been flushed to the log by then).
    expect(partial).toMatch(/^alpha /);
    expect('alpha beta'.startsWith(partial)).toBe(true);
    expect(thrown).toBeInstanceOf(APIError);
    expect((thrown as APIError).code).toBe('reply_replaced');
    expect(await storedReply('replaced')).toBe('something else');
  });

  it('is described in /openapi.json with OpenAI\'s error shape', async () => {
    const spec = (await (await fetch(`${serve.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { description?: string; parameters?: Array<{ name: string; in: string }>; responses: Record<string, any> }>>;
    };
    const op = spec.paths['/v1/chat/completions']?.post;
    expect(op).toBeDefined();
    expect(op.description).toMatch(/last user message/i);
    expect(op.description).toMatch(/ignored/);
    expect(op.description).toMatch(/usage.*zeros/);
    expect(op.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['header:x-session-id', 'header:idempotency-key']));
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '502']));
    expect(JSON.stringify(op.responses['401'])).toContain('#/components/schemas/OpenAIError');
    expect(Object.keys(op.responses['200'].content)).toEqual(expect.arrayContaining(['application/json', 'text/event-stream']));
  });
});

describe('AppendOnlyText: what an append-only client is sent of a turn that may start over', () => {
  it('passes deltas through until a reset, then only what extends the text sent', () => {
    const t = new AppendOnlyText();
    expect([t.delta('alpha '), t.delta('beta')]).toEqual(['alpha ', 'beta']);
    t.reset();
    expect([t.delta('alp'), t.delta('ha beta'), t.delta(' gamma')]).toEqual(['', '', ' gamma']);
    expect(t.finish('alpha beta gamma delta')).toBe(' delta');
  });

  it('finishes with the rest of the reply, or of the delivered text, and says when neither fits', () => {
    const sentAll = new AppendOnlyText();
    sentAll.delta('done');
    expect(sentAll.finish('done')).toBe('');
    const placeholder = new AppendOnlyText();
    placeholder.delta('(no reply)');
    expect(placeholder.finish('')).toBe('');
    const replaced = new AppendOnlyText();
    replaced.delta('alpha');
    replaced.reset();
    replaced.delta('other');
    expect(replaced.finish('other')).toBeUndefined();
  });
});
