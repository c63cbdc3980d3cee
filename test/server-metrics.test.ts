/**
 * The servers' own metrics over their HTTP routes: a Prometheus parser reads /metrics, and a slow
 * consumer makes the mutex's lock waits and queue-full events, and the actor's mailbox, rise.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelName } from '../servers/common/registry.ts';
import { TimeWeightedGauge } from '../servers/metrics/time-weighted-gauge.ts';
import type { ServerStats } from '../servers/metrics/server-metrics.ts';
import type { ContentionTiming, ServerGauges } from '../common/stats-schema.ts';
import { contentionRows } from '../loadgen/report/table.ts';
import { serialChainModel } from './fixtures/models/serial-chain/model.ts';
import { startServer, type RunningServer } from '../servers/server.ts';
import { connectTestClient, pause, type TestClient } from './helpers/test-client.ts';

describe('TimeWeightedGauge', () => {
  it('averages over time, not over updates', () => {
    const g = new TimeWeightedGauge(0);
    g.set(500, 0);
    g.set(0, 1000); // 500 for 1 s
    for (let t = 1001; t < 2000; t++) g.set(0, t); // many updates at 0
    expect(g.read(10_000)).toEqual({ current: 0, max: 500, mean: 50 });
    g.reset(10_000);
    expect(g.read(11_000)).toEqual({ current: 0, max: 0, mean: 0 });
  });
});

describe('GET /metrics', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model: 'mutex', port: 0 });
  });
  afterAll(() => server.close());

  it('is valid Prometheus text with the contention metrics and quantile labels', async () => {
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    for (let i = 0; i < 16; i++) client.ws.send(`hello ${i}`); // lock timings are sampled 1 in 8
    await client.waitForFrames(16);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const families = parsePrometheusTextFormat(await res.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('wsbench_connections')?.metrics[0]?.value).toBe('1');
    const lockWait = byName.get('wsbench_mutex_lock_wait_seconds');
    expect(lockWait?.type).toBe('GAUGE');
    expect(lockWait?.metrics.map((m) => m.labels?.quantile)).toEqual(expect.arrayContaining(['0.5', '0.99', '1']));
    expect(lockWait?.metrics.every((m) => m.labels?.model === 'mutex')).toBe(true);
    expect(byName.has('wsbench_outbound_queue_full_events')).toBe(true);
    expect(byName.get('wsbench_mutex_acquisitions')?.metrics.find((m) => m.labels?.operation === 'echo')?.value).toBe('16');
    expect(byName.has('process_cpu_user_seconds_total')).toBe(true);
    client.ws.close();
    await client.closed;
  });
});

const FRAME = 'x'.repeat(32 * 1024);
const BROADCASTS = 800; // 25 MiB to each receiver: more than loopback's socket buffers hold
const ECHOERS = 4;
const ECHOES = 20;
/** How long the slow reader stays paused after the echoes are sent: the least the echoes must wait. */
const SLOW_PAUSE_MS = 500;
/** The share of that pause a wait must show (wide: the echoes may reach the server late in it). */
const WAIT_SHARE = 0.4;

async function stats(server: RunningServer, path = '/stats'): Promise<ServerStats> {
  return (await (await fetch(`http://127.0.0.1:${server.port}${path}`)).json()) as ServerStats;
}

/** Polls until `condition` holds (every 20 ms, at most 30 s): waits on a state, never on a time. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await condition()) return;
    await pause(20);
  }
  throw new Error('condition not reached within 30 s');
}

/** One round: reset, flood broadcasts while echoers talk, with `slow` not reading for a while. */
async function round(server: RunningServer, slowStops: boolean): Promise<ServerStats> {
  const url = `ws://127.0.0.1:${server.port}`;
  const slow = await connectTestClient(url);
  const sender = await connectTestClient(url);
  const echoers: TestClient[] = await Promise.all(Array.from({ length: ECHOERS }, () => connectTestClient(url)));
  await fetch(`http://127.0.0.1:${server.port}/stats/reset`, { method: 'POST' });
  if (slowStops) slow.ws.pause();
  for (let i = 0; i < BROADCASTS; i++) sender.ws.send(`/broadcast ${FRAME}`);
  // A stalled round sends its echoes only once the slow client's queue is full, i.e. once the
  // broadcast holding the registry waits for it (however long a loaded machine takes to get there).
  if (slowStops) await waitFor(async () => (await stats(server, '/stats/gauges')).outboundQueueFullEvents > 0);
  else await pause(300);
  for (const e of echoers) for (let i = 0; i < ECHOES; i++) e.ws.send(`echo ${i}`);
  await pause(SLOW_PAUSE_MS);
  slow.ws.resume();
  await Promise.all(echoers.map((e) => e.waitForFrames(BROADCASTS + ECHOES, 30_000)));
  const snapshot = await stats(server);
  for (const c of [slow, sender, ...echoers]) c.ws.terminate();
  await Promise.all([slow, sender, ...echoers].map((c) => c.closed));
  return snapshot;
}

describe.each([['mutex'], ['actor']] as [ModelName][])('%s server with a slow consumer', (model) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model, port: 0, timingSampleEvery: 1 }); // few acquisitions wait: time them all
  });
  afterAll(() => server.close());

  it('reports the stall in its contention metrics', async () => {
    await round(server, false); // a healthy round first: the stalled one must not depend on a cold server
    const stalled = await round(server, true);
    // Counts and the imposed pause only: how long a healthy round takes depends on the machine.
    expect(stalled.outboundQueueFullEvents).toBeGreaterThan(0);
    const c = stalled.contention;
    const timing = (name: string): ContentionTiming['byOperation'] => c.timings.find((t) => t.name === name)!.byOperation;
    if (model === 'mutex') {
      expect(c.kind).toBe('lock');
      expect(c.counts!.byOperation.echo).toBe(ECHOERS * ECHOES);
      expect(timing('mutex_lock_wait').echo!.summary.count).toBe(ECHOERS * ECHOES);
      // Every echoer queued behind the lock that the broadcast holds while the slow reader is paused.
      expect(c.gauges.find((g) => g.name === 'mutex_waiters')!.max).toBeGreaterThanOrEqual(ECHOERS);
      expect(timing('mutex_lock_wait').echo!.summary.max).toBeGreaterThanOrEqual(SLOW_PAUSE_MS * 1000 * WAIT_SHARE);
    } else {
      expect(c.kind).toBe('mailbox');
      expect(c.counts!.byOperation['send-to']).toBe(ECHOERS * ECHOES);
      // Every echo queued in the mailbox behind the broadcast that waits for the slow reader.
      expect(c.gauges.find((g) => g.name === 'actor_mailbox_depth')!.max).toBeGreaterThanOrEqual(ECHOERS * ECHOES);
      expect(timing('actor_mailbox_wait')['send-to']!.summary.max).toBeGreaterThanOrEqual(SLOW_PAUSE_MS * 1000 * WAIT_SHARE);
    }
  });
});

describe.each([['actor'], ['mutex']] as [ModelName][])('%s server with recording paused (debug toggle)', (model) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model, port: 0, debug: { metricsToggle: true } });
  });
  afterAll(() => server.close());

  const toggle = (on: string): Promise<Response> => fetch(`http://127.0.0.1:${server.port}/debug/metrics-recording?on=${on}`, { method: 'POST' });
  const counted = async (): Promise<number> => {
    const stats = (await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as ServerStats;
    const counts = stats.contention.counts!.byOperation;
    return counts['send-to'] ?? counts['echo'] ?? 0;
  };

  it('counts nothing while paused, counts again once resumed, and answers with the server CPU clock', async () => {
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    await fetch(`http://127.0.0.1:${server.port}/stats/reset`, { method: 'POST' });
    const paused = await toggle('false');
    expect(paused.status).toBe(200);
    const pausedBody = (await paused.json()) as { recording: boolean; cpuMicros: number };
    expect(pausedBody.recording).toBe(false);
    for (let i = 0; i < 10; i++) client.ws.send(`paused ${i}`);
    await client.waitForFrames(10);
    expect(await counted()).toBe(0);

    const resumed = (await (await toggle('true')).json()) as { recording: boolean; cpuMicros: number };
    expect(resumed.recording).toBe(true);
    expect(resumed.cpuMicros).toBeGreaterThanOrEqual(pausedBody.cpuMicros);
    for (let i = 0; i < 10; i++) client.ws.send(`recorded ${i}`);
    await client.waitForFrames(20);
    expect(await counted()).toBe(10);
    client.ws.close();
  });

  it('rejects a value other than true or false, naming what it got', async () => {
    const res = await toggle('maybe');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("on must be true or false, got 'maybe'");
  });
});

describe('the debug toggle', () => {
  it('does not exist unless the server was started with it', async () => {
    const server = await startServer({ model: 'actor', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/debug/metrics-recording?on=false`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(server.metrics?.recording).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe.each([
  ['actor', 'drop'],
  ['mutex', 'drop'],
  ['actor', 'disconnect'],
  ['mutex', 'disconnect'],
] as [ModelName, 'drop' | 'disconnect'][])('%s server, slow-consumer policy %s', (model, policyName) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model, port: 0, slowConsumerPolicy: policyName === 'drop' ? { kind: 'drop' } : { kind: 'disconnect', timeoutMs: 200 } });
  });
  afterAll(() => server.close());

  it('keeps healthy clients served while one stops reading, and counts every frame it never got', async () => {
    const url = `ws://127.0.0.1:${server.port}`;
    const slow = await connectTestClient(url);
    const sender = await connectTestClient(url);
    const echoers: TestClient[] = await Promise.all(Array.from({ length: ECHOERS }, () => connectTestClient(url)));
    slow.ws.pause();
    for (let i = 0; i < BROADCASTS; i++) sender.ws.send(`/broadcast ${FRAME}`);
    await pause(300);
    for (const e of echoers) for (let i = 0; i < ECHOES; i++) e.ws.send(`echo ${i}`);
    // Under `await` the healthy clients would wait for the slow one; here they are served while it still does not read.
    await waitFor(async () => echoers.every((e) => e.frames.length >= ECHOES));
    const readStats = async (): Promise<ServerStats> => (await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as ServerStats;
    // The disconnect comes once the queue has been full for 200 ms, which a loaded machine may reach after the echoes.
    if (policyName === 'disconnect') await waitFor(async () => (await readStats()).slowConsumerPolicy.disconnected > 0);
    const stats = await readStats();
    expect(stats.slowConsumerPolicy.name).toBe(policyName);
    expect(stats.slowConsumerPolicy.dropped).toBeGreaterThan(0);
    expect(stats.slowConsumerPolicy.disconnected).toBe(policyName === 'disconnect' ? 1 : 0);

    slow.ws.resume(); // the slow client reads again: it gets every frame the policy did not drop
    if (policyName === 'disconnect') expect(await slow.closed).toBe(1008);
    // Every frame is delivered or counted as dropped, whoever it was for: on a loaded machine a
    // healthy client that falls behind loses frames too (that is the policy), so the balance is
    // over every receiver, never per client.
    const expected = ECHOERS * (BROADCASTS + ECHOES) + BROADCASTS;
    const received = (): number => slow.frames.length + echoers.reduce((n, e) => n + e.frames.length, 0);
    const dropped = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${server.port}/stats/gauges`)).json()) as { policyDropped: number }).policyDropped;
    await waitFor(async () => received() + (await dropped()) >= expected).catch(() => undefined);
    expect(received() + (await dropped())).toBe(expected);
    for (const c of [slow, sender, ...echoers]) c.ws.terminate();
    await Promise.all([slow, sender, ...echoers].map((c) => c.closed));
  });
});

describe('a plug-in model (the test-only serial chain)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model: serialChainModel, port: 0 });
  });
  afterAll(() => server.close());

  it('reports its own contention in /stats, /stats/gauges, /metrics and the table, with no code of its own there', async () => {
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    for (let i = 0; i < 5; i++) client.ws.send(`hello ${i}`);
    await client.waitForFrames(5);
    const base = `http://127.0.0.1:${server.port}`;
    const stats = (await (await fetch(`${base}/stats`)).json()) as ServerStats;
    expect(stats.model).toBe('serial-chain');
    expect(stats.contention.kind).toBe('chain');
    expect(stats.contention.counts?.byOperation.echo).toBe(5);
    const gauges = (await (await fetch(`${base}/stats/gauges`)).json()) as ServerGauges;
    expect(gauges.contention).toEqual({ chain_waiting: 0 });
    const families = new Map(parsePrometheusTextFormat(await (await fetch(`${base}/metrics`)).text()).map((f) => [f.name, f]));
    expect(families.get('wsbench_chain_operations')?.metrics.find((m) => m.labels?.operation === 'echo')?.value).toBe('5');
    expect(families.has('wsbench_chain_waiting')).toBe(true);
    expect(contentionRows(stats).map(([label]) => label)).toContain('operations waiting in the chain max');
    client.ws.close();
    await client.closed;
  });
});

describe('actor /metrics', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ model: 'actor', port: 0, timingSampleEvery: 1 });
  });
  afterAll(() => server.close());

  it('keeps its metric names and labels its message kinds `kind`', async () => {
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    client.ws.send('hello');
    await client.waitForFrames(1);
    const families = new Map(parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()).map((f) => [f.name, f]));
    expect(families.get('wsbench_actor_handled')?.metrics.find((m) => m.labels?.kind === 'send-to')?.value).toBe('1');
    expect(families.get('wsbench_actor_mailbox_wait_seconds')?.metrics.some((m) => m.labels?.kind === 'send-to' && m.labels?.quantile === '0.99')).toBe(true);
    expect(families.has('wsbench_actor_mailbox_depth')).toBe(true);
    client.ws.close();
    await client.closed;
  });
});
