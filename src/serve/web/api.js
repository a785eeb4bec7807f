// The /v1 API as the pages use it: the pasted key, requests with it, errors in plain words, and an SSE reader
// over fetch (EventSource can neither POST nor send an Authorization header).

const KEY_ITEM = 'threadline.apiKey';

export function storedKey() {
  return localStorage.getItem(KEY_ITEM) ?? '';
}

export function storeKey(key) {
  if (key) localStorage.setItem(KEY_ITEM, key);
  else localStorage.removeItem(KEY_ITEM);
}

/** A request the API (or the network) refused: `status` 0 when the server did not answer at all. */
export class ApiProblem extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** `fetch` with the stored key; answers the Response when it is ok, throws an ApiProblem when not. */
export async function apiFetch(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const key = storedKey();
  if (!key) throw new ApiProblem(401, 'missing_key', 'no API key');
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiProblem(0, 'unreachable', 'the server did not answer');
  }
  if (response.ok) return response;
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  throw new ApiProblem(response.status, answer.code ?? 'http_error', answer.error ?? `HTTP ${response.status}`, response.headers.get('retry-after'));
}

/** The JSON body of a GET. */
export async function apiJson(path, options) {
  return (await apiFetch(path, options)).json();
}

/** What to tell the user about a failed request or a turn's error event, in a sentence. */
export function describeProblem(problem) {
  if (!(problem instanceof ApiProblem)) return `Something went wrong in this page: ${problem?.message ?? problem}`;
  switch (problem.status) {
    case 0:
      return 'The server did not answer. Is threadline serve still running?';
    case 401:
      return problem.code === 'missing_key'
        ? 'Paste an API key first (threadline keys create --name NAME makes one).'
        : 'This API key is not accepted: it is unknown or was revoked. Paste a valid key (threadline keys create makes one).';
    case 403:
      return `Not allowed with this key: ${problem.message}.`;
    case 429: {
      const seconds = Number(problem.retryAfter);
      return `Too many requests with this key. Wait ${Number.isFinite(seconds) && seconds > 0 ? `${seconds} seconds` : 'a minute'} and try again.`;
    }
    case 503:
      return 'The server cannot reach its database right now. Try again in a moment.';
    default:
      return `The request failed (${problem.status}): ${problem.message}`;
  }
}

/** A turn's `error` event {error, code} in words. */
export function describeTurnError(data) {
  if (data.code === 'dead_letter') return `${data.error} The message was set aside: an operator can retry it.`;
  if (data.code === 'refused') return `The message was refused: ${data.error}`;
  return `The turn failed: ${data.error}`;
}

/**
 * The events of an SSE response, as {event, data, id}: the tiny part of the EventSource parser the API needs
 * (fields event, data, id; comments skipped; lines ended by LF, CRLF or CR).
 */
export async function* sseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  let data = [];
  let id;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
      const end = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
      buffer = lines.pop() + buffer.slice(end);
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n'), id };
          event = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

export function sessionPath(sessionId) {
  return `/v1/sessions/${encodeURIComponent(sessionId)}`;
}

/** Every message of a session, oldest first (the API pages them). */
export async function allMessages(sessionId) {
  const messages = [];
  for (;;) {
    const after = messages.length > 0 ? `&after=${messages.at(-1).seq}` : '';
    const page = await apiJson(`${sessionPath(sessionId)}/messages?limit=1000${after}`);
    messages.push(...page.messages);
    if (page.messages.length < 1000) return messages;
  }
}
