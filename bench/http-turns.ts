import { loadavg } from 'node:os';
import { ensureCliBuilt } from '../test/support/cli-build.js';
import { bearer, createKey, startServeProcess, type ServeProcess } from '../test/serve/serve-world.js';
import { openStore } from '../src/store/open-store.js';
import { busyShare, machineCpu } from './lib/cpu.js';
import { postgresFloor } from './lib/floor.js';
import { percentile, printTable, timeEach, type Row } from './lib/stats.js';
import { PG_URL, pgDb } from './lib/targets.js';
import { seed, turn } from './store-turns.js';

/**
 * Turns through `threadline serve` processes (the compiled CLI) on Postgres with the built-in echo model, which
 * answers at once in-process: the latency is Threadline's (HTTP, the durable inbox, the turn under its lock, the
 * turn's event log, following the turn from the store) over loopback. Measured beside the floor (one bare durable
 * commit) and a store turn without HTTP, in the same run.
 */

const SEQUENTIAL = Number(process.env.BENCH_HTTP_TURNS ?? 200);
const WARMUP = 20;
const CLIENTS = Number(process.env.BENCH_HTTP_CLIENTS ?? 16);
const LOADED_TURNS = Number(process.env.BENCH_HTTP_LOADED_TURNS ?? 400);
const FLOOR_ITERATIONS = 300;

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const stats = (samples: number[]) => ({ p50: percentile(samples, 50), p95: percentile(samples, 95) });
type Stats = ReturnType<typeof stats>;

interface Fleet {
  servers: ServeProcess[];
  key: string;
  /** Requests go round robin over the processes, as a load balancer would send them. */
  next: number;
}

async function startFleet(count: number): Promise<Fleet> {
  const db = pgDb(`http_${count}p`);
  const key = await createKey(db, 'bench');
  const servers = await Promise.all(Array.from({ length: count }, () => startServeProcess(db, ['--model', 'echo', '--rate-limit', '0'])));
  return { servers, key, next: 0 };
}

async function stopFleet(fleet: Fleet): Promise<void> {
  await Promise.all(fleet.servers.map((s) => s.stop()));
}

const url = (fleet: Fleet, path: string) => `${fleet.servers[fleet.next++ % fleet.servers.length].url}${path}`;

/** One turn, answered as one JSON body; throws unless it is answered. */
async function jsonTurn(fleet: Fleet, sessionId: string, n: number): Promise<void> {
  const response = await fetch(url(fleet, `/v1/sessions/${sessionId}/messages`), { method: 'POST', headers: bearer(fleet.key), body: JSON.stringify({ text: `hello ${n}`, stream: false }) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`bench http: ${response.status} ${body}`);
}

/** One turn as Server-Sent Events, read to the end of the stream (after `done`); returns when the first event arrived. */
async function sseTurn(fleet: Fleet, sessionId: string, n: number): Promise<number> {
  const response = await fetch(url(fleet, `/v1/sessions/${sessionId}/messages`), { method: 'POST', headers: bearer(fleet.key), body: JSON.stringify({ text: `hello ${n}` }) });
  if (response.status !== 200 || !response.body) throw new Error(`bench http: ${response.status} ${await response.text()}`);
  let firstAt: number | undefined;
  let body = '';
  const decoder = new TextDecoder();
  for await (const part of response.body) {
    firstAt ??= performance.now();
    body += decoder.decode(part as Uint8Array, { stream: true });
  }
  if (!body.includes('event: done')) throw new Error(`bench http: the stream ended without done: ${body.slice(-300)}`);
  return firstAt!;
}

/** The same turn through the OpenAI-compatible route, non-streaming. */
async function chatCompletionTurn(fleet: Fleet, sessionId: string, n: number): Promise<void> {
  const response = await fetch(url(fleet, '/v1/chat/completions'), {
    method: 'POST',
    headers: bearer(fleet.key, { 'x-session-id': sessionId }),
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `hello ${n}` }] }),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`bench http: ${response.status} ${body}`);
}

interface Loaded {
  perSecond: number;
  latency: Stats;
  cpuBusy: number;
}

/** Closed loop: `CLIENTS` clients, each on its own session, each sending its next turn once the last is answered. */
async function loaded(fleet: Fleet): Promise<Loaded> {
  const client = async (i: number, turns: number, latencies: number[]) => {
    for (let t = 0; t < turns; t++) {
      const start = performance.now();
      await jsonTurn(fleet, `load-${i}`, t);
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, 2, [])));
  const latencies: number[] = [];
  const perClient = Math.ceil(LOADED_TURNS / CLIENTS);
  const before = machineCpu();
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, perClient, latencies)));
  const wallMs = performance.now() - start;
  return { perSecond: (perClient * CLIENTS) / (wallMs / 1000), latency: stats(latencies), cpuBusy: busyShare(before, machineCpu()) };
}

interface Measured {
  json: Stats;
  sse: Stats;
  sseFirstEvent: Stats;
  openai: Stats;
  load: Loaded;
}

/**
 * The sequential cases interleaved, one turn of each in turn (each on its own session), so the machine's load
 * (shared with other work) and the processes' warm-up weigh on all of them alike.
 */
async function sequential(fleet: Fleet): Promise<Omit<Measured, 'load'>> {
  const samples = { json: [] as number[], sse: [] as number[], sseFirstEvent: [] as number[], openai: [] as number[] };
  for (let n = 0; n < WARMUP + SEQUENTIAL; n++) {
    const timed = n >= WARMUP;
    let start = performance.now();
    await jsonTurn(fleet, 'seq-json', n);
    if (timed) samples.json.push(performance.now() - start);
    start = performance.now();
    const firstAt = await sseTurn(fleet, 'seq-sse', n);
    if (timed) samples.sse.push(performance.now() - start);
    if (timed) samples.sseFirstEvent.push(firstAt - start);
    start = performance.now();
    await chatCompletionTurn(fleet, 'seq-openai', n);
    if (timed) samples.openai.push(performance.now() - start);
  }
  return { json: stats(samples.json), sse: stats(samples.sse), sseFirstEvent: stats(samples.sseFirstEvent), openai: stats(samples.openai) };
}

async function measure(processes: number): Promise<Measured> {
  const fleet = await startFleet(processes);
  try {
    return { ...(await sequential(fleet)), load: await loaded(fleet) };
  } finally {
    await stopFleet(fleet);
  }
}

export async function benchHttp(): Promise<void> {
  ensureCliBuilt();
  const loadAtStart = loadavg()[0].toFixed(1);
  const floor = stats(await postgresFloor(PG_URL, FLOOR_ITERATIONS));
  const store = await openStore(pgDb('http_store'));
  let storeTurn: Stats;
  try {
    await seed(store, 'bench-http', 10);
    storeTurn = stats(await timeEach(SEQUENTIAL, WARMUP, () => turn(store, 'bench-http')));
  } finally {
    await store.close();
  }
  const row = (label: string, s: Stats | undefined, perSecond: number | '', note: string): Row => ({
    case: label,
    p50_ms: s?.p50 ?? '',
    p95_ms: s?.p95 ?? '',
    'turns/s': perSecond,
    'p50 / floor': s ? s.p50 / floor.p50 : '',
    note,
  });
  const rows: Row[] = [
    row('floor: one bare durable commit', floor, '', ''),
    row('store turn (lock + load last 50 + append 2)', storeTurn, '', 'in-process, no HTTP, no inbox'),
  ];
  const results = new Map<number, Measured>();
  for (const processes of [1, 2]) {
    const m = await measure(processes);
    results.set(processes, m);
    const p = `${processes} process${processes > 1 ? 'es' : ''}`;
    rows.push(
      row(`HTTP turn, JSON, ${p}, sequential`, m.json, '', `${(m.json.p50 / storeTurn.p50).toFixed(1)}x the store turn`),
      row(`HTTP turn, SSE, ${p}, sequential`, m.sse, '', `SSE ${signed(m.sse.p50 - m.json.p50)} ms (p50) vs JSON`),
      row(`  SSE: until the first event`, m.sseFirstEvent, '', 'the turn accepted (recorded in the inbox)'),
      row(`chat completion, JSON, ${p}, sequential`, m.openai, '', `${signed(m.openai.p50 - m.json.p50)} ms (p50) vs the messages route`),
      row(`HTTP turn, JSON, ${p}, ${CLIENTS} clients`, m.load.latency, m.load.perSecond, `machine CPU ${(m.load.cpuBusy * 100).toFixed(0)}% busy under load`),
    );
  }
  const one = results.get(1)!;
  const two = results.get(2)!;
  rows.push(row('turns/s, 2 processes / 1 process', undefined, '', `${(two.load.perSecond / one.load.perSecond).toFixed(2)}x (2 CPU cores here, shared with Postgres and the clients)`));
  printTable(
    `HTTP turns: threadline serve (compiled CLI) on Postgres, --model echo (instant, in-process); load average ${loadAtStart} at the start. ` +
      `Sequential: ${SEQUENTIAL} turns of each kind, interleaved, one client, one session per kind, ${WARMUP} warm-up rounds excluded, requests round robin over the processes. ` +
      `Loaded: ${CLIENTS} clients on distinct sessions, ${Math.ceil(LOADED_TURNS / CLIENTS) * CLIENTS} turns, closed loop.`,
    rows,
  );
}
