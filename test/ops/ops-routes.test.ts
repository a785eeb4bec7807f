import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { httpMetrics, UNMATCHED_ROUTE } from '../../src/ops/http-metrics.js';
import type { InboxQueueStats } from '../../src/store/types.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { opsRoutes } from '../../src/ops/ops-routes.js';
import { startOpsServer } from '../../src/ops/ops-server.js';

/** The samples of one metric in a Prometheus text page: `name{labels} value` lines. */
const samples = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

/** A store whose schemaVersion answers, fails or never answers, as the test says. */
const storeThat = (behaviour: 'answers' | 'fails' | 'hangs') => ({
  schemaVersion: () =>
    behaviour === 'answers'
      ? Promise.resolve({ current: 5, latest: 5 })
      : behaviour === 'fails'
        ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'))
        : new Promise<never>(() => {}),
});

describe('http-metrics middleware', () => {
  it('labels requests by route pattern and status, never by the raw URL', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = new Hono();
    app.use(httpMetrics(metrics));
    app.get('/sessions/:id', (c) => c.json({ id: c.req.param('id') }));
    app.get('/boom', () => {
      throw new Error('handler failed');
    });
    const api = new Hono();
    api.get('/things/:thing/parts/:part', (c) => c.text('part'));
    app.route('/api', api);
    app.onError((_error, c) => c.text('failed', 500));

    for (const id of ['a', 'b', 'c']) expect((await app.request(`/sessions/${id}?x=${id}`)).status).toBe(200);
    expect((await app.request('/api/things/1/parts/2')).status).toBe(200);
    expect((await app.request('/no/such/path/42')).status).toBe(404);
    expect((await app.request('/sessions/a', { method: 'DELETE' })).status).toBe(404);
    expect((await app.request('/boom')).status).toBe(500);

    const text = await metrics.registry.metrics();
    expect(samples(text, 'threadline_http_requests_total').sort()).toEqual(
      [
        'threadline_http_requests_total{method="GET",route="/sessions/:id",status="200"} 3',
        'threadline_http_requests_total{method="GET",route="/api/things/:thing/parts/:part",status="200"} 1',
        `threadline_http_requests_total{method="GET",route="${UNMATCHED_ROUTE}",status="404"} 1`,
        `threadline_http_requests_total{method="DELETE",route="${UNMATCHED_ROUTE}",status="404"} 1`,
        'threadline_http_requests_total{method="GET",route="/boom",status="500"} 1',
      ].sort(),
    );
    expect(samples(text, 'threadline_http_request_duration_seconds_count')).toContain(
      'threadline_http_request_duration_seconds_count{method="GET",route="/sessions/:id"} 3',
    );
    // No label value anywhere carries a requested path or query.
    expect(text).not.toMatch(/sessions\/a|x=a|no\/such/);
  });
});

describe('ops routes', () => {
  it('/healthz answers while the process runs; /metrics is Prometheus text on the metrics registry', async () => {
    const metrics = createMetrics();
    const app = opsRoutes({ registry: metrics.registry, store: () => storeThat('fails') });
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const page = await app.request('/metrics');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await page.text();
    expect(text).toContain('# TYPE threadline_turns_total counter');
    expect(text).toContain('# TYPE threadline_turn_duration_seconds histogram');
    // Node's process metrics are on the same registry (not prom-client's global one).
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('/readyz is 200 only when the store answers and nothing else is wrong; 503 with one line otherwise', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let problem: string | undefined;
    let store: ReturnType<typeof storeThat> | undefined;
    const app = opsRoutes({ registry: metrics.registry, store: () => store, readiness: () => problem, storeTimeoutMs: 200 });
    const ready = async () => {
      const response = await app.request('/readyz');
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };

    expect(await ready()).toEqual({ status: 503, body: { status: 'unready', reason: 'the store is not open yet' } });
    store = storeThat('answers');
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } });
    problem = 'telegram: the webhook server is not listening';
    expect(await ready()).toEqual({ status: 503, body: { status: 'unready', reason: 'telegram: the webhook server is not listening' } });
    problem = undefined;
    store = storeThat('fails');
    expect(await ready()).toEqual({ status: 503, body: { status: 'unready', reason: 'the store does not answer: connect ECONNREFUSED 127.0.0.1:1' } });
    store = storeThat('hangs');
    const began = Date.now();
    expect(await ready()).toEqual({ status: 503, body: { status: 'unready', reason: 'the store did not answer within 200 ms' } });
    expect(Date.now() - began).toBeLessThan(2_000);
    // A reason of several lines comes out as one.
    store = storeThat('answers');
    problem = 'first line\nsecond line';
    expect((await ready()).body.reason).toBe('first line second line');
  });

  it('a failing inbox stats function leaves the inbox gauges out of the scrape and counts a scrape error', async () => {
    let stats: () => Promise<InboxQueueStats[]> = async () => [
      { queue: 'telegram', pending: 3, oldestPendingAt: new Date(Date.now() - 90_000), dead: 1 },
    ];
    let calls = 0;
    const metrics = createMetrics({
      defaultMetrics: false,
      statsTimeoutMs: 200,
      inboxStats: () => {
        calls++;
        return stats();
      },
    });
    metrics.trackQueue('slack');
    const app = opsRoutes({ registry: metrics.registry, store: () => storeThat('answers') });
    const scrape = async () => {
      const response = await app.request('/metrics');
      expect(response.status).toBe(200);
      return response.text();
    };

    let text = await scrape();
    // One stats call serves the three gauges of a scrape.
    expect(calls).toBe(1);
    expect(samples(text, 'threadline_metrics_scrape_errors_total')).toEqual(['threadline_metrics_scrape_errors_total{source="inbox"} 0']);
    expect(samples(text, 'threadline_inbox_pending')).toEqual(['threadline_inbox_pending{queue="slack"} 0', 'threadline_inbox_pending{queue="telegram"} 3']);
    expect(samples(text, 'threadline_inbox_dead')).toEqual(['threadline_inbox_dead{queue="slack"} 0', 'threadline_inbox_dead{queue="telegram"} 1']);
    const age = Number(samples(text, 'threadline_inbox_oldest_pending_age_seconds').find((l) => l.includes('telegram'))!.split(' ')[1]);
    expect(age).toBeGreaterThanOrEqual(89);
    expect(age).toBeLessThan(120);

    // The store away: the scrape still succeeds, without the inbox gauges, and says so in its error counter.
    stats = () => Promise.reject(new Error('connect ECONNREFUSED'));
    text = await scrape();
    expect(samples(text, 'threadline_inbox_pending')).toEqual([]);
    expect(samples(text, 'threadline_inbox_oldest_pending_age_seconds')).toEqual([]);
    expect(samples(text, 'threadline_inbox_dead')).toEqual([]);
    expect(samples(text, 'threadline_metrics_scrape_errors_total')).toEqual(['threadline_metrics_scrape_errors_total{source="inbox"} 1']);
    expect(samples(text, 'threadline_turns_total')).toContain('threadline_turns_total{queue="slack",outcome="answered"} 0');

    // A function that throws instead of rejecting, and one that hangs, are failed reads too.
    stats = () => {
      throw new Error('not a promise');
    };
    text = await scrape();
    expect(samples(text, 'threadline_inbox_pending')).toEqual([]);
    stats = () => new Promise<never>(() => {});
    text = await scrape();
    expect(samples(text, 'threadline_metrics_scrape_errors_total')).toEqual(['threadline_metrics_scrape_errors_total{source="inbox"} 3']);

    // Back: the gauges are back.
    stats = async () => [{ queue: 'telegram', pending: 0, dead: 2 }];
    text = await scrape();
    expect(samples(text, 'threadline_inbox_dead')).toEqual(['threadline_inbox_dead{queue="slack"} 0', 'threadline_inbox_dead{queue="telegram"} 2']);
    expect(samples(text, 'threadline_inbox_oldest_pending_age_seconds')).toContain('threadline_inbox_oldest_pending_age_seconds{queue="telegram"} 0');
  });

  it('the ops server serves an app on a chosen or free port, and refuses a port already taken in one line', async () => {
    const app = opsRoutes({ registry: createMetrics({ defaultMetrics: false }).registry, store: () => storeThat('answers') });
    const server = await startOpsServer(app, { port: 0 });
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.port).toBeGreaterThan(0);
      const response = await fetch(`${server.url}/healthz`);
      expect(await response.json()).toEqual({ status: 'ok' });
      await expect(startOpsServer(app, { port: server.port })).rejects.toThrow(
        `could not serve the ops endpoints on 127.0.0.1:${server.port}: EADDRINUSE (choose another --ops-port or --ops-host)`,
      );
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
