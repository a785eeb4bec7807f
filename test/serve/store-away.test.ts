import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { startOwnedPostgres, type OwnedPostgres } from '../support/owned-postgres.js';
import { bearer, createKey, startServeProcess, type ServeProcess } from './serve-world.js';

/** serve on a Postgres this file owns, stopped and started under it (never the machine's). */
describe('threadline serve when its store goes away', () => {
  let pg: OwnedPostgres;
  let serve: ServeProcess;
  let key: string;

  beforeAll(async () => {
    pg = await startOwnedPostgres();
    const db = `${pg.url}?schema=serve_away_${randomBytes(3).toString('hex')}`;
    key = await createKey(db, 'ops');
    serve = await startServeProcess(db, ['--model', 'echo', '--rate-limit', '0']);
  });
  afterAll(async () => {
    await serve?.stop();
    await pg?.close();
  });

  it('answers 503 with Retry-After and /readyz 503 while Postgres is down, then serves again; /metrics counts it all', async () => {
    const post = () => fetch(`${serve.url}/v1/sessions/away/messages`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ text: 'hi', stream: false }) });
    expect((await post()).status).toBe(200);
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);

    await pg.stop();
    const down = await post();
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect(await down.json()).toMatchObject({ code: 'store_unavailable' });
    const unready = await fetch(`${serve.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toMatchObject({ status: 'unready', reason: expect.any(String) });
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);

    await pg.start();
    await eventually('serve to answer again', async () => ((await post()).status === 200 ? true : undefined), 30_000);
    expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/threadline_http_requests_total\{[^}]*route="\/v1\/sessions\/:id\/messages"[^}]*status="503"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/threadline_turns_total\{queue="http",outcome="answered"\} [2-9]/);
    expect(metrics).toMatch(/threadline_inbox_pending\{queue="http"\} 0/);
  });
});
