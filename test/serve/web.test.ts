/**
 * The web pages of `threadline serve` in headless Chromium (Debian's, through playwright-core), against a real
 * serve process: the chat page (/) and the operator view (/admin). Screenshots go to test-artifacts/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { sqliteTestFile } from '../support/databases.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply } from '../fakes/fake-openai-server.js';
import { bearer, createKey, startServeProcess, type ServeProcess } from './serve-world.js';

const CHROMIUM = '/usr/bin/chromium';

/** The page's document, for the few functions that run in the page (this file is typed for Node, without DOM types). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots');

/** What the fake model answers: long enough, and slow enough with `chunkDelayMs`, to watch it stream. */
function replyTo(text: string): string {
  return `reply to: ${text}, told in many small words so that the page can show it growing`;
}

describe('the web pages of threadline serve, in Chromium', () => {
  const db = sqliteTestFile('serve_web');
  let llm: FakeOpenAI;
  let serve: ServeProcess;
  let browser: Browser;
  let operator: string;
  let scoped: string;
  /** The next answers of the fake model. */
  let answer: (text: string) => FakeReply = (text) => ({ content: replyTo(text) });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the browser tests`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    llm = await startFakeOpenAI({ handler: (request) => answer(String(request.messages.findLast((m) => m.role === 'user')?.content)) });
    operator = await createKey(db, 'ops');
    scoped = await createKey(db, 'acme', 'acme:');
    // The agent of serve has no tools: a session with a tool call comes straight from the store.
    const store = await openStore(db);
    try {
      await store.appendTurn('acme:tools', [
        { role: 'user', content: 'How warm is it in Oslo?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', name: 'get_weather', toolCallId: 'call_1', content: '{"tempC":4}' },
        { role: 'assistant', content: 'It is 4 °C in Oslo.' },
      ]);
    } finally {
      await store.close();
    }
    [serve, browser] = await Promise.all([
      startServeProcess(db, ['--model', 'fake-model', '--base-url', llm.baseURL, '--rate-limit', '0', '--max-attempts', '1']),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await llm?.close();
  });

  /** A fresh browser profile (its own localStorage) on one page, and what went wrong in it: script errors, CSP refusals. */
  async function openPage(url: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    return { context, page, problems };
  }

  async function useKey(page: Page, key: string): Promise<void> {
    await page.fill('#key', key);
    await page.click('#key-form button[type=submit]');
  }

  /** Waits until the list's latest (re)load is shown: the page marks it aria-busy while one is under way. */
  async function listed(page: Page, list: string): Promise<void> {
    await page.locator(`${list}[aria-busy="false"]`).waitFor({ state: 'attached' });
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
  }

  it('serves the pages and their files with their content types and a strict CSP, without a key', async () => {
    for (const [file, type] of [
      ['/', 'text/html'],
      ['/admin', 'text/html'],
      ['/web/app.css', 'text/css'],
      ['/web/chat.js', 'text/javascript'],
      ['/web/api.js', 'text/javascript'],
      ['/web/icon.svg', 'image/svg+xml'],
    ]) {
      const response = await fetch(`${serve.url}${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toContain(type);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await response.text();
      // No inline scripts or styles, nothing from elsewhere.
      if (type === 'text/html') expect(body.match(/<script(?![^>]*\ssrc="\/web\/)|<style|\sstyle=|\son\w+=|https?:\/\//g)).toBeNull();
    }
    const again = await fetch(`${serve.url}/web/app.css`, { headers: { 'if-none-match': (await fetch(`${serve.url}/web/app.css`)).headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${serve.url}/web/missing.js`)).status).toBe(404);
  });

  it('chat: takes a key, starts a session, streams the reply in, and finds the conversation again after a reload', async () => {
    await fetch(`${serve.url}/v1/sessions/web-earlier/messages`, { method: 'POST', headers: bearer(operator), body: JSON.stringify({ text: 'an earlier chat', stream: false }) });
    const { context, page, problems } = await openPage(`${serve.url}/`);
    await page.locator('#notice', { hasText: 'Paste an API key' }).waitFor();

    await useKey(page, 'tl_not-a-key');
    await page.locator('#notice', { hasText: 'not accepted' }).waitFor();
    await useKey(page, operator);
    await page.locator('#sessions button[data-session="web-earlier"]').waitFor();
    expect(await page.isVisible('#notice')).toBe(false);

    const sessionId = await page.inputValue('#session-id');
    expect(sessionId).toMatch(/^web-[0-9a-f]{8}$/);
    await page.click('#open-form button');
    await page.locator('#chat-title', { hasText: sessionId }).waitFor();

    answer = (text) => ({ content: replyTo(text), chunkDelayMs: 120 });
    const text = 'hello <b>there</b>';
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    // Read in the page, in one go: the reply's text while it still streams.
    const partial = await page.waitForFunction(() => {
      const shown = document.querySelector('.message.assistant[data-state="streaming"] .text')?.textContent;
      return shown && shown.length > 12 ? shown : null;
    });
    const partialText = (await partial.jsonValue()) as string;
    await shot(page, 'chat-streaming.png');
    const done = page.locator('.message.assistant[data-state="done"] .text');
    await done.waitFor();
    answer = (t) => ({ content: replyTo(t) });
    expect(await done.textContent()).toBe(replyTo(text));
    expect(replyTo(text).startsWith(partialText) && partialText.length < replyTo(text).length).toBe(true);
    // The user's text is text: no markup of it reached the page.
    expect(await page.locator('.message.user .text').textContent()).toBe(text);
    expect(await page.locator('#messages b').count()).toBe(0);
    await page.locator(`#sessions button[data-session="${sessionId}"]`, { hasText: '2 messages' }).waitFor();
    await shot(page, 'chat-reply-done.png');

    await page.reload();
    await page.locator('#chat-title', { hasText: sessionId }).waitFor();
    await page.locator('.message.assistant[data-state="done"]').waitFor();
    expect(await page.locator('.message .text').allTextContents()).toEqual([text, replyTo(text)]);
    expect(await page.inputValue('#key')).toBe(operator);
    await shot(page, 'chat-after-reload.png');

    await page.click('#sessions button[data-session="web-earlier"]');
    await page.locator('#chat-title', { hasText: 'web-earlier' }).waitFor();
    await page.locator('.message.assistant .text', { hasText: replyTo('an earlier chat') }).waitFor();
    expect(await page.locator('.message .text').allTextContents()).toEqual(['an earlier chat', replyTo('an earlier chat')]);

    // A turn the model fails for good ends with its error event, in words.
    answer = () => ({ status: 400, errorMessage: 'bad request from the fake' });
    await page.fill('#text', 'this one fails');
    await page.click('#send');
    await page.locator('.message.assistant[data-state="failed"]', { hasText: 'set aside' }).waitFor();
    answer = (t) => ({ content: replyTo(t) });
    expect(await page.textContent('#notice')).toContain('an operator can retry it');
    await shot(page, 'chat-turn-failed.png');

    // Rate limited (the answer faked here: this serve runs without a limit).
    await page.route((url) => url.pathname === '/v1/sessions', (route) => route.fulfill({ status: 429, headers: { 'retry-after': '17', 'content-type': 'application/json' }, body: '{"error":"slow down","code":"rate_limited"}' }));
    await useKey(page, operator);
    await page.locator('#notice', { hasText: 'Too many requests with this key. Wait 17 seconds' }).waitFor();
    await page.unrouteAll();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('chat: a key with a sessions prefix is told which ids it may use', async () => {
    const { context, page, problems } = await openPage(`${serve.url}/`);
    await useKey(page, scoped);
    await page.locator('#sessions button[data-session="acme:tools"]').waitFor();
    // The new session's id is offered inside the key's prefix (GET /v1/key).
    expect(await page.inputValue('#session-id')).toMatch(/^acme:web-[0-9a-f]{8}$/);
    await page.fill('#session-id', 'web-outside');
    await page.click('#open-form button');
    await page.locator('#notice', { hasText: 'Not allowed with this key' }).waitFor();
    expect(await page.textContent('#notice')).toContain('"acme:"');
    await shot(page, 'chat-forbidden-prefix.png');
    await page.fill('#session-id', 'acme:web');
    await page.click('#open-form button');
    await page.locator('#chat-title', { hasText: 'acme:web' }).waitFor();
    expect(await page.isVisible('#notice')).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('admin: lists sessions by prefix, shows a history with its tool call, a dead entry\'s timeline, and retries it', async () => {
    answer = () => ({ status: 400, errorMessage: 'bad request from the fake' });
    const failed = await fetch(`${serve.url}/v1/sessions/ops-dead/messages`, { method: 'POST', headers: bearer(operator), body: JSON.stringify({ text: 'please fail', stream: false }) });
    expect(failed.status).toBe(502);
    // The retried turn is slow enough to be seen pending.
    answer = (t) => ({ content: replyTo(t), delayMs: 1_500 });

    const { context, page, problems } = await openPage(`${serve.url}/admin`);
    await useKey(page, operator);
    await page.locator('#admin').waitFor();
    await page.fill('#prefix', 'acme:');
    await page.click('#sessions-form button');
    await listed(page, '#sessions');
    const ids = await page.locator('#sessions button').allTextContents();
    expect(ids).toContain('acme:tools');
    expect(ids.filter((id) => !id.startsWith('acme:'))).toEqual([]);
    await page.click('#sessions tr[data-session="acme:tools"] button');
    await page.locator('#history .tool-call', { hasText: 'get_weather({"city":"Oslo"})' }).waitFor();
    expect(await page.locator('#history .tool-call').textContent()).toContain('call_1');
    expect(await page.locator('#history li[data-role="tool"]').textContent()).toMatch(/result of call call_1[\s\S]*\{"tempC":4\}/);
    expect(await page.locator('#history > li').count()).toBe(4);
    await shot(page, 'admin-history-tool-call.png');

    // Pending and dead by default; here: the dead ones of one session.
    await page.selectOption('#status', 'dead');
    await page.fill('#inbox-session', 'ops-dead');
    await page.click('#inbox-form button');
    await listed(page, '#inbox');
    expect(await page.locator('#inbox tr').count()).toBe(1);
    const row = page.locator('#inbox tr[data-status="dead"]', { hasText: 'ops-dead' });
    await row.locator('button').click();
    await page.locator('#entry-panel[data-status="dead"]').waitFor();
    const attempt = page.locator('#attempts tr[data-attempt="1"]');
    expect(await attempt.textContent()).toContain('permanent');
    expect(await attempt.locator('.error-text').textContent()).toContain('bad request from the fake');
    expect(await page.textContent('#entry')).toContain('please fail');
    await shot(page, 'admin-dead-timeline.png');

    await page.click('#retry');
    await page.locator('#notice', { hasText: 'pending again' }).waitFor();
    await page.locator('#entry-panel[data-status="pending"]').waitFor();
    expect(await page.isVisible('#retry')).toBe(false);
    await shot(page, 'admin-retried-pending.png');
    await page.locator('#entry-panel[data-status="done"]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('#entry')).toContain('session ops-dead, turn');
    await page.locator('#attempts tr', { hasText: 'committed' }).waitFor();
    await shot(page, 'admin-retried-done.png');
    answer = (t) => ({ content: replyTo(t) });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('admin: a key with a sessions prefix is told the page needs an operator key', async () => {
    const { context, page, problems } = await openPage(`${serve.url}/admin`);
    await useKey(page, scoped);
    await page.locator('#notice', { hasText: 'This page needs an operator key' }).waitFor();
    expect(await page.isVisible('#admin')).toBe(false);
    await shot(page, 'admin-needs-operator-key.png');
    expect(problems).toEqual([]);
    await context.close();
  });
});
