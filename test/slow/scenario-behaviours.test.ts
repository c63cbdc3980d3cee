/**
 * The scenario library's behaviours over real sockets, at a small scale: clients that stop reading
 * (with each slow-consumer policy), churn, phases of different rates, and HTTP side traffic. What
 * is asserted is accounting and ordering, never timings: every expected delivery is delivered,
 * dropped by the policy (as the server counts it) or refused; the registry ends empty.
 * In npm run test:slow: real servers and clients for each scenario and model, about a minute.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBench } from '../../loadgen/bench.ts';
import { resolveBenchPlan } from '../../loadgen/plan.ts';
import { benchOptions } from '../../loadgen/bench-options.ts';
import { runLoad } from '../../loadgen/runner.ts';
import type { Measurement } from '../../loadgen/record/measurement.ts';
import { ServerStatsClient } from '../../loadgen/server-stats.ts';
import type { SlowConsumerPolicy } from '../../servers/common/slow-consumer-policy.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import { testPlan } from '../helpers/load-plan.ts';
import { judgeIntegrity } from '../../loadgen/result.ts';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The run's integrity, as its result would carry it. */
const integrity = (m: Measurement) => judgeIntegrity(m.counters.expected + m.warmupExpected, m);

async function run(model: 'actor' | 'mutex', policy: SlowConsumerPolicy, overrides: Parameters<typeof testPlan>[1]): Promise<Measurement> {
  server = await startServer({ model, port: 0, slowConsumerPolicy: policy });
  const url = `ws://127.0.0.1:${server.port}`;
  return runLoad(testPlan(url, overrides), { serverStats: new ServerStatsClient(url) });
}

/** 30 clients: 1 publisher sending 32 kB to each of 2 stopped readers every 10 ms, 27 echoing. */
const slowConsumers = (durationMs: number) => ({
  clients: 30,
  durationMs,
  mode: { kind: 'open-loop', rate: 270 } as const,
  behaviours: { stopReading: 2, publisher: { kind: 'send-to-stopped', everyMs: 10, bytes: 32_000 } as const },
});

describe('clients that stop reading', () => {
  it.each([['actor'], ['mutex']] as ['actor' | 'mutex'][])('%s, policy drop: every delivery is delivered or dropped, and the echoes never stall', async (model) => {
    const m = await run(model, { kind: 'drop' }, slowConsumers(3000));
    expect(m.roles).toEqual({ publisher: 1, stoppedReaders: 2, senders: 27 });
    expect(m.policy?.name).toBe('drop');
    expect(m.policy!.dropped).toBeGreaterThan(0);
    expect(m.lost).toBe(m.policy!.dropped); // delivered + dropped == expected
    expect(m.refused).toBe(0);
    // Every loss is at a client the scenario stopped reading: expected, so the run stays clean (compare gives it its verdict).
    expect(m.lostExcused).toBe(m.lost);
    expect(integrity(m)).toMatchObject({ verdict: 'clean', unexpectedLoss: 0, expectedLoss: m.lost });
    expect(m.stall).toBeUndefined();
    expect(m.registry).toEqual({ openBeforeClose: 30, countBeforeClose: 30, countAfterClose: 0 });
  });

  it.each([['actor'], ['mutex']] as ['actor' | 'mutex'][])('%s, policy disconnect: the stopped readers are closed with 1008 and their frames counted', async (model) => {
    const m = await run(model, { kind: 'disconnect', timeoutMs: 200 }, slowConsumers(3000));
    expect(m.policy).toMatchObject({ name: 'disconnect', disconnected: 2 });
    expect(m.counters.errors['closed-by-server:1008']).toBe(2);
    expect(m.lost).toBe(m.policy!.dropped + m.refused);
    expect(integrity(m)).toMatchObject({ verdict: 'clean', unexpectedLoss: 0 });
    expect(m.stall).toBeUndefined();
    expect(m.registry).toEqual({ openBeforeClose: 28, countBeforeClose: 28, countAfterClose: 0 });
  });

  it.each([['actor'], ['mutex']] as ['actor' | 'mutex'][])('%s, policy await: the server stalls, the stall is marked, and everything arrives once the readers read again', async (model) => {
    const m = await run(model, { kind: 'await' }, { ...slowConsumers(6000), drainTimeoutMs: 30_000 });
    expect(m.stall).toBeDefined();
    expect(m.stall!.stalledSeconds).toBeGreaterThanOrEqual(2);
    expect(m.policy).toMatchObject({ name: 'await', dropped: 0, disconnected: 0 });
    expect(m.lost).toBe(0);
    // Under await the server drops nothing: a loss at the stopped readers would be its fault, not excused.
    expect(m.lostExcused).toBe(0);
    expect(m.registry.countAfterClose).toBe(0);
  });
});

describe('churn', () => {
  it('replaces leaving clients, loses nothing, and leaves the registry empty', async () => {
    const m = await run('mutex', { kind: 'await' }, { clients: 40, durationMs: 2000, mode: { kind: 'open-loop', rate: 400 }, mix: { echo: 9, broadcast: 0, sendTo: 1 }, behaviours: { churnPerSecond: 20 } });
    expect(m.churn!.left).toBeGreaterThanOrEqual(20);
    expect(m.churn!.joined).toBe(m.churn!.left);
    expect(m.churn!.joinsFailed).toBe(0);
    expect(m.lost).toBe(0);
    expect(m.counters.errorTotal).toBe(0);
    expect(m.registry.countBeforeClose).toBe(40);
    expect(m.registry.countAfterClose).toBe(0);
  });
});

describe('traffic phases', () => {
  it('send each phase at its own rate and report it, with a recovery figure after the peak', async () => {
    // The spike lasts 2 s: the once-a-second samples then end inside it however late a loaded
    // machine fires them (a 1 s phase could fall between two samples).
    const phases = [
      { name: 'base', durationMs: 1000, rate: 100 },
      { name: 'spike', durationMs: 2000, rate: 500 },
      { name: 'after', durationMs: 2000, rate: 100 },
    ];
    const m = await run('actor', { kind: 'await' }, { durationMs: 5000, mode: { kind: 'open-loop', rate: 100 }, phases });
    expect(m.phases.map((p) => [p.name, p.sent])).toEqual([
      ['base', 100],
      ['spike', 1000],
      ['after', 200],
    ]);
    for (const p of m.phases) expect(p.received).toBe(p.expected);
    expect(m.phases[2]).toHaveProperty('recoveredAfterSeconds');
    expect(m.phases[0]).not.toHaveProperty('recoveredAfterSeconds');
    expect(m.timeSeries.filter((s) => s.phase === 'measure').map((s) => s.trafficPhase)).toContain('spike');
  });
});

describe('HTTP side traffic (autocannon)', () => {
  it('drives the admin routes during the measured phase and accounts the HTTP broadcasts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scenario-'));
    const file = path.join(dir, 'http.json');
    const scenario = {
      name: 'http-test',
      description: 'echo while autocannon reads the registry size and broadcasts',
      probes: 'p',
      claim: 'c',
      clients: 20,
      phases: [{ name: 'steady', durationSeconds: 2, rate: 100 }],
      mix: { echo: 1 },
      http: {
        requests: [
          { method: 'GET', path: '/clients/count', rate: 50, connections: 2 },
          { method: 'POST', path: '/broadcast', rate: 5 },
        ],
      },
    };
    writeFileSync(file, JSON.stringify(scenario));
    const plan = resolveBenchPlan(benchOptions({ scenario: file, model: 'actor', outDir: dir }));
    const result = await runBench(plan, []);
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    const [get, post] = result.http!.routes;
    expect(get).toMatchObject({ method: 'GET', path: '/clients/count', non2xx: 0, errors: 0 });
    expect(get!.ok).toBeGreaterThan(20);
    expect(post).toMatchObject({ method: 'POST', path: '/broadcast', non2xx: 0, errors: 0 });
    expect(post!.ok).toBeGreaterThan(2);
    const b = result.http!.adminBroadcasts!;
    expect(b.accepted).toBe(post!.ok);
    expect(b.served).toBeGreaterThanOrEqual(b.accepted); // a request may be served after autocannon stopped counting
    expect(b.expectedDeliveries).toBe(b.served! * 20);
    expect(b.delivered).toBe(b.expectedDeliveries);
    expect(result.messages.unexpected).toBe(0);
    expect(result.accounting.balanced).toBe(true);
  });
});

describe('the fault-isolation behaviour', () => {
  const faultRun = async (model: 'actor' | 'mutex', modelOptions: Record<string, string> = {}): Promise<Measurement> => {
    server = await startServer({ model, modelOptions, port: 0, debug: { fault: 'registry' } });
    const url = `ws://127.0.0.1:${server.port}`;
    // 21 clients echo 20 times a second each; 1 s in, client 0 sends the fault frame.
    const plan = testPlan(url, { clients: 21, durationMs: 3000, mode: { kind: 'open-loop', rate: 420 }, drainTimeoutMs: 1500, behaviours: { fault: { atMs: 1000, site: 'registry' } } });
    return runLoad(plan, { serverStats: new ServerStatsClient(url) });
  };

  it('actor: nobody is served after the fault, it never recovers, and the registry cannot be counted', async () => {
    const m = await faultRun('actor');
    expect(m.fault).toMatchObject({ site: 'registry', client: 0, activeBefore: 20, servedAfter: 0, ghosts: null, faultFramesReceived: 10 });
    expect(m.fault!.secondsAfter).toBeGreaterThanOrEqual(1);
    expect(m.fault!.secondsDisrupted).toBe(m.fault!.secondsAfter);
    expect(m.lost).toBeGreaterThan(0);
    // The loss comes with the injected fault: expected, so the run keeps its fault-isolation verdict;
    // its latency still counts every lost delivery at the drain timeout (an excuse never makes a server faster).
    expect(integrity(m)).toMatchObject({ verdict: 'clean', unexpectedLoss: 0 });
    expect(m.lostExcused).toBe(m.lost);
    expect(m.censored.deliveries).toBe(m.lost);
  });

  it('actor with supervision=resume: everyone is still served and no ghost is left', async () => {
    const m = await faultRun('actor', { supervision: 'resume' });
    expect(m.fault).toMatchObject({ activeBefore: 20, servedAfter: 20, ghosts: 0, faultFramesReceived: 10 });
    expect(m.fault!.secondsAfter).toBeGreaterThanOrEqual(1);
  });

  it('mutex: everyone else is still served, and the faulty client stays as one ghost', async () => {
    const m = await faultRun('mutex');
    expect(m.fault).toMatchObject({ activeBefore: 20, servedAfter: 20, ghosts: 1, faultFramesReceived: 10 });
    expect(m.fault!.secondsAfter).toBeGreaterThanOrEqual(1);
    expect(m.clientsLost).toBe(1);
    expect(integrity(m)).toMatchObject({ verdict: 'clean', unexpectedLoss: 0 });
  });
});
