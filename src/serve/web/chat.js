// The chat page: pick or start a session, send messages, watch the reply stream in.
import { allMessages, apiFetch, apiJson, ApiProblem, describeProblem, describeTurnError, sessionPath, sseEvents, storedKey, storeKey } from './api.js';
import { $, el, guard, notify, requestOrder, setUpKeyForm, when } from './dom.js';

const LAST_SESSION_ITEM = 'threadline.lastSession';
/** A broken reply stream is picked up again (GET …/turns/{turnId}/events with Last-Event-ID) this many times. */
const RESUMES = 3;

let current = null;
let busy = false;
/** New session ids start with the key's sessions prefix (GET /v1/key), so a scoped key can start one. */
let keyPrefix = '';
const sessionsOrder = requestOrder();
const openOrder = requestOrder();

function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `${keyPrefix}web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function setComposer(enabled) {
  $('#text').disabled = !enabled;
  $('#send').disabled = !enabled || busy;
}

function bubble(role, text, state) {
  return el('li', { class: `message ${role}`, dataset: { role, state } }, el('span', { class: 'who' }, role === 'user' ? 'You' : 'Agent'), el('div', { class: 'text' }, text));
}

/** The chat shows what was said; tool calls and their results are on the operator page. */
function said(message) {
  return (message.role === 'user' || message.role === 'assistant') && message.content;
}

function scrollDown() {
  const list = $('#messages');
  list.scrollTop = list.scrollHeight;
}

async function loadSessions() {
  const mine = sessionsOrder();
  const page = await apiJson('/v1/sessions?limit=100');
  if (!mine()) return;
  const items = page.sessions.map((s) =>
    el(
      'li',
      {},
      el(
        'button',
        { type: 'button', class: s.id === current ? 'session current' : 'session', dataset: { session: s.id }, onclick: () => guard(() => openSession(s.id)) },
        el('span', { class: 'id' }, s.id),
        el('span', { class: 'meta' }, `${s.messageCount} messages · ${when(s.updatedAt)}`),
      ),
    ),
  );
  $('#sessions').replaceChildren(...(items.length > 0 ? items : [el('li', { class: 'hint' }, 'No sessions yet: open a new id and say something.')]));
}

function markCurrent() {
  for (const button of document.querySelectorAll('#sessions button')) button.classList.toggle('current', button.dataset.session === current);
}

async function openSession(id) {
  notify('');
  const mine = openOrder();
  const messages = await allMessages(id);
  if (!mine()) return;
  current = id;
  localStorage.setItem(LAST_SESSION_ITEM, id);
  $('#chat-title').textContent = id;
  const shown = messages.filter(said).map((m) => bubble(m.role, m.content, 'done'));
  $('#messages').replaceChildren(...(shown.length > 0 ? shown : [el('li', { class: 'hint empty' }, 'A new session: send a message to start it.')]));
  setComposer(true);
  markCurrent();
  scrollDown();
  $('#text').focus();
}

async function send(text) {
  const id = current;
  const list = $('#messages');
  list.querySelector('.empty')?.remove();
  list.append(bubble('user', text, 'done'));
  const reply = bubble('assistant', '', 'streaming');
  const out = reply.querySelector('.text');
  list.append(reply);
  scrollDown();
  let turnId;
  let lastId;
  try {
    let response = await apiFetch(`${sessionPath(id)}/messages`, { method: 'POST', body: { text } });
    for (let resumes = 0; ; resumes++) {
      try {
        for await (const e of sseEvents(response)) {
          if (e.id !== undefined) lastId = e.id;
          const data = JSON.parse(e.data);
          if (e.event === 'start') turnId = data.turnId;
          else if (e.event === 'delta') out.textContent += data.text;
          else if (e.event === 'reset') out.textContent = '';
          else if (e.event === 'done') {
            out.textContent = data.reply;
            reply.dataset.state = 'done';
          } else if (e.event === 'error' && data.code !== 'stream_interrupted') {
            reply.dataset.state = 'failed';
            out.textContent = describeTurnError(data);
            notify(describeTurnError(data));
          }
          scrollDown();
        }
      } catch {
        // The stream broke off: the turn goes on in the server; pick it up again below.
      }
      if (reply.dataset.state !== 'streaming') break;
      if (turnId === undefined || resumes >= RESUMES) throw new ApiProblem(0, 'stream_lost', 'the reply stream broke off');
      await new Promise((resolve) => setTimeout(resolve, 500 * (resumes + 1)));
      response = await apiFetch(`${sessionPath(id)}/turns/${encodeURIComponent(turnId)}/events`, { headers: lastId === undefined ? {} : { 'last-event-id': lastId } });
    }
  } catch (error) {
    const words = error instanceof ApiProblem && error.code === 'stream_lost' ? 'The reply stream broke off and could not be picked up again: reload the page to see whether the turn completed.' : describeProblem(error);
    reply.dataset.state = 'failed';
    out.textContent = words;
    notify(words);
  }
  // The session (maybe new) and its count, as the list shows them.
  if (reply.dataset.state === 'done') await guard(loadSessions);
}

async function start() {
  current = null;
  $('#chat-title').textContent = 'No session open';
  $('#messages').replaceChildren();
  $('#sessions').replaceChildren();
  setComposer(false);
  if (!storedKey()) {
    notify('Paste an API key to begin (threadline keys create --name NAME makes one).', 'info');
    return;
  }
  notify('');
  keyPrefix = (await apiJson('/v1/key')).sessionsPrefix ?? '';
  $('#session-id').value = newSessionId();
  await loadSessions();
  const last = localStorage.getItem(LAST_SESSION_ITEM);
  if (!last) return;
  try {
    await openSession(last);
  } catch (error) {
    // The last session belongs to another key (or is gone from reach): start afresh rather than complain.
    if (!(error instanceof ApiProblem && error.status === 403)) throw error;
    localStorage.removeItem(LAST_SESSION_ITEM);
  }
}

setUpKeyForm(storedKey, storeKey, () => guard(start));
$('#session-id').value = newSessionId();
$('#open-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = $('#session-id').value.trim();
  if (!id) return;
  guard(async () => {
    await openSession(id);
    $('#session-id').value = newSessionId();
  });
});
$('#send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('#text').value.trim();
  if (!text || busy || current === null) return;
  $('#text').value = '';
  busy = true;
  setComposer(true);
  notify('');
  send(text).finally(() => {
    busy = false;
    setComposer(current !== null);
    $('#text').focus();
  });
});
$('#text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('#send-form').requestSubmit();
  }
});
guard(start);
