// The operator page: sessions by prefix with their full history (tool calls too), the inbox, an entry's fate, retry.
import { allMessages, apiFetch, apiJson, ApiProblem, storedKey, storeKey } from './api.js';
import { $, el, guard, notify, requestOrder, setUpKeyForm, when } from './dom.js';

/** A pending entry on screen is looked at again this often, this many times, to show where it ends up. */
const POLL_MS = 1_000;
const POLLS = 60;

let sessionsPrefix = '';
let sessionsCursor;
let historyOf = null;
let openEntry = null;
let pollTimer;
let pollsLeft = 0;
const sessionsOrder = requestOrder();
const historyOrder = requestOrder();
const inboxOrder = requestOrder();
const entryOrder = requestOrder();

async function start() {
  $('#admin').hidden = true;
  clearTimeout(pollTimer);
  if (!storedKey()) {
    notify('Paste an operator API key to begin (threadline keys create --name NAME, without --sessions-prefix).', 'info');
    return;
  }
  try {
    await apiJson('/v1/admin/inbox?limit=1');
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 403) {
      notify('This page needs an operator key: one made without --sessions-prefix (threadline keys create --name NAME). The key you pasted may only use the sessions under its prefix; the chat page works with it.');
      return;
    }
    throw error;
  }
  notify('');
  $('#admin').hidden = false;
  await Promise.all([listSessions(true), listInbox()]);
}

/** A list being (re)loaded says so (aria-busy) until the latest request for it is shown. */
async function loading(list, mine, load) {
  list.setAttribute('aria-busy', 'true');
  try {
    await load();
  } finally {
    if (mine()) list.setAttribute('aria-busy', 'false');
  }
}

// Sessions

async function listSessions(fresh) {
  if (fresh) {
    sessionsPrefix = $('#prefix').value.trim();
    sessionsCursor = undefined;
  }
  const query = new URLSearchParams({ limit: '50' });
  if (sessionsPrefix) query.set('prefix', sessionsPrefix);
  if (sessionsCursor) query.set('cursor', sessionsCursor);
  const mine = sessionsOrder();
  await loading($('#sessions'), mine, async () => {
    const page = await apiJson(`/v1/sessions?${query}`);
    if (mine()) showSessions(page, fresh);
  });
}

function showSessions(page, fresh) {
  const rows = page.sessions.map((s) =>
    el(
      'tr',
      { dataset: { session: s.id } },
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => guard(() => showHistory(s.id)) }, s.id)),
      el('td', { class: 'num' }, s.messageCount),
      el('td', {}, when(s.updatedAt)),
    ),
  );
  if (fresh) $('#sessions').replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 3, class: 'hint' }, 'No sessions.'))]));
  else $('#sessions').append(...rows);
  sessionsCursor = page.nextCursor;
  $('#more-sessions').hidden = !sessionsCursor;
}

function messageItem(m) {
  const head = `#${m.seq} · turn ${m.turn} · ${m.role}${m.name ? ` (${m.name})` : ''} · ${when(m.createdAt)}`;
  return el(
    'li',
    { class: `history-item role-${m.role}`, dataset: { seq: m.seq, role: m.role } },
    el('div', { class: 'meta' }, head),
    m.role === 'tool' && m.toolCallId ? el('div', { class: 'meta tool-result' }, `result of call ${m.toolCallId}`) : null,
    m.content ? el('pre', { class: 'text' }, m.content) : null,
    m.toolCalls?.length
      ? el(
          'ul',
          { class: 'tool-calls' },
          m.toolCalls.map((call) => el('li', { class: 'tool-call' }, 'calls ', el('code', {}, `${call.function.name}(${call.function.arguments})`), ` · call ${call.id}`)),
        )
      : null,
    m.metadata ? el('div', { class: 'meta' }, `metadata ${JSON.stringify(m.metadata)}`) : null,
  );
}

async function showHistory(id) {
  const mine = historyOrder();
  const messages = await allMessages(id);
  if (!mine()) return;
  historyOf = id;
  $('#history-title').textContent = id;
  $('#history').replaceChildren(...(messages.length > 0 ? messages.map(messageItem) : [el('li', { class: 'hint' }, 'No messages.')]));
  $('#history-panel').hidden = false;
  $('#history-panel').scrollIntoView({ block: 'nearest' });
}

// Inbox

async function inboxPage(status, sessionId) {
  const query = new URLSearchParams({ limit: '100' });
  if (status) query.set('status', status);
  if (sessionId) query.set('sessionId', sessionId);
  return (await apiJson(`/v1/admin/inbox?${query}`)).entries;
}

function statusBadge(status) {
  return el('span', { class: `status status-${status}` }, status);
}

async function listInbox() {
  const status = $('#status').value;
  const sessionId = $('#inbox-session').value.trim();
  const mine = inboxOrder();
  await loading($('#inbox'), mine, async () => {
    const entries =
      status === 'open' ? (await Promise.all([inboxPage('pending', sessionId), inboxPage('dead', sessionId)])).flat().sort((a, b) => b.id - a.id) : await inboxPage(status, sessionId);
    if (mine()) showInbox(entries);
  });
}

function showInbox(entries) {
  const rows = entries.map((e) =>
    el(
      'tr',
      { dataset: { entry: e.id, status: e.status } },
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => guard(() => showEntry(e.id, true)) }, `#${e.id}`)),
      el('td', {}, statusBadge(e.status)),
      el('td', {}, e.sessionId),
      el('td', { class: 'clip' }, e.text ?? ''),
      el('td', { class: 'num' }, e.attempts),
      el('td', { class: 'clip' }, e.lastError ?? ''),
      el('td', {}, when(e.receivedAt)),
    ),
  );
  $('#inbox').replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 7, class: 'hint' }, 'No entries.'))]));
}

function fact(name, value) {
  return value === undefined || value === '' ? [] : [el('dt', {}, name), el('dd', { dataset: { fact: name } }, value)];
}

async function showEntry(id, fresh = false) {
  clearTimeout(pollTimer);
  if (fresh) pollsLeft = POLLS;
  const mine = entryOrder();
  const t = await apiJson(`/v1/admin/inbox/${id}`);
  if (!mine()) return;
  const { entry } = t;
  const wasPending = openEntry === id && $('#entry-panel').dataset.status === 'pending';
  openEntry = id;
  $('#entry-title').textContent = `#${entry.id}`;
  const panel = $('#entry-panel');
  panel.dataset.status = entry.status;
  panel.hidden = false;
  $('#entry').replaceChildren(
    el('dt', {}, 'Status'),
    el('dd', { dataset: { fact: 'Status' } }, statusBadge(entry.status)),
    ...fact('Session', entry.sessionId),
    ...fact('Queue', entry.queue),
    ...fact('Event key', entry.eventKey),
    ...fact('Text', entry.text),
    ...fact('Received', when(entry.receivedAt)),
    ...fact('Done', when(entry.doneAt)),
    ...fact('Attempts', String(entry.attempts)),
    ...fact('Next attempt', when(entry.nextAttemptAt)),
    ...fact('Redeliveries', String(entry.redeliveries)),
    ...fact('Last error', entry.lastError),
    ...fact('Answered by', entry.answeredBy ? `session ${entry.answeredBy.sessionId}, turn ${entry.answeredBy.turn}` : undefined),
  );
  $('#attempts').replaceChildren(
    ...(t.attempts.length > 0
      ? t.attempts.map((a) =>
          el(
            'tr',
            { dataset: { attempt: a.attempt } },
            el('td', { class: 'num' }, a.attempt),
            el('td', {}, a.worker),
            el('td', {}, a.stage),
            el('td', {}, a.errorClass ?? ''),
            el('td', { class: 'error-text' }, a.error ?? ''),
            el('td', {}, when(a.startedAt)),
            el('td', {}, when(a.endedAt)),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 7, class: 'hint' }, 'No attempts yet.'))]),
  );
  $('#reply-parts').replaceChildren(...(t.replyParts.length > 0 ? t.replyParts.map((p) => el('li', {}, `part ${p.part}: platform message ${p.platformMessageId}${p.deliveryError ? ` (not delivered: ${p.deliveryError})` : ''}`)) : [el('li', { class: 'hint' }, 'None.')]));
  $('#notices').replaceChildren(...(t.notices.length > 0 ? t.notices.map((n) => el('li', {}, `${when(n.at)}: ${n.text}`)) : [el('li', { class: 'hint' }, 'None.')]));
  $('#retry').hidden = entry.status !== 'dead';
  if (entry.status === 'pending' && pollsLeft-- > 0) pollTimer = setTimeout(() => guard(() => showEntry(id)), POLL_MS);
  // It just left pending: the list shows that too.
  if (wasPending && entry.status !== 'pending') await listInbox();
}

async function retry() {
  const id = openEntry;
  await apiFetch(`/v1/admin/inbox/${id}/retry`, { method: 'POST' });
  notify(`Entry #${id} is pending again, with a fresh attempt budget.`, 'info');
  await Promise.all([showEntry(id, true), listInbox()]);
}

setUpKeyForm(storedKey, storeKey, () => guard(start));
$('#sessions-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guard(() => listSessions(true));
});
$('#more-sessions').addEventListener('click', () => guard(() => listSessions(false)));
$('#history-inbox').addEventListener('click', () => {
  $('#inbox-session').value = historyOf ?? '';
  $('#status').value = '';
  guard(listInbox);
});
$('#inbox-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guard(listInbox);
});
$('#retry').addEventListener('click', () => guard(retry));
$('#refresh-entry').addEventListener('click', () => guard(() => showEntry(openEntry, true)));
guard(start);
