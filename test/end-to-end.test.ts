/**
 * The whole path with real processes: each model's server as a child process, 200 real sockets
 * from the load generator, echo and broadcast. Asserts exact accounting, never timings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, type ModelName } from '../servers/common/registry.ts';
import { runLoad } from '../loadgen/runner.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { testPlan } from './helpers/load-plan.ts';

const CLIENTS = 200;

const plan = (url: string, overrides: Partial<LoadPlan>): LoadPlan => testPlan(url, { clients: CLIENTS, mode: { kind: 'open-loop', rate: 1000 }, ...overrides });

describe.each(MODEL_NAMES.map((m) => [m]))('%s server under load', (model: ModelName) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model, host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.stop());

  it('answers every echo of 200 clients, with exact counts and a latency for each', async () => {
    const m = await runLoad(plan(server.url, {}));
    expect(m.clientsOpen).toBe(CLIENTS);
    expect(m.histograms.handshake.totalCount).toBe(CLIENTS);
    expect(m.counters.sent).toBe(1500); // 1.5 s × 1000 msg/s, on schedule
    expect(m.counters.expected).toBe(m.counters.sent);
    expect(m.counters.received).toBe(m.counters.expected);
    expect(m.histograms.latency.totalCount).toBe(m.counters.received);
    expect(m.counters.unexpected).toBe(0);
    expect(m.counters.errors).toEqual({});
    expect(m.clientsLost).toBe(0);
    expect(server.exitCode()).toBeUndefined();
  });

  it('sends during warm-up but counts only the measured phase', async () => {
    const m = await runLoad(plan(server.url, { warmupMs: 500, durationMs: 1000 }));
    expect(m.counters.sent).toBe(1000); // 1.5 s on schedule at 1000 msg/s, of which 1 s measured
    expect(m.counters.received).toBe(1000);
    expect(m.histograms.latency.totalCount).toBe(1000);
    expect(m.lost).toBe(0);
    expect(m.lostInWarmup).toBe(0);
    expect(m.extra).toBe(0);
  });

  it('delivers every broadcast to the 199 other clients, timed at each receiver', async () => {
    const m = await runLoad(plan(server.url, { mode: { kind: 'open-loop', rate: 20 }, mix: { echo: 0, broadcast: 1, sendTo: 0 } }));
    expect(m.clientsOpen).toBe(CLIENTS);
    expect(m.counters.sent).toBe(30);
    expect(m.counters.expected).toBe(30 * (CLIENTS - 1));
    expect(m.counters.received).toBe(m.counters.expected);
    expect(m.histograms.latency.totalCount).toBe(m.counters.expected);
    expect(m.counters.errors).toEqual({});
  });

  it('routes send-to-client probes and keeps one in flight per client in closed loop', async () => {
    const targeted = await runLoad(plan(server.url, { clients: 50, mode: { kind: 'open-loop', rate: 500 }, mix: { echo: 0, broadcast: 0, sendTo: 1 } }));
    expect(targeted.counters.sent).toBe(750);
    expect(targeted.counters.received).toBe(750);

    const closed = await runLoad(plan(server.url, { clients: 50, durationMs: 500, mode: { kind: 'closed-loop', inFlight: 1 } }));
    expect(closed.counters.sent).toBeGreaterThan(50);
    expect(closed.counters.received).toBe(closed.counters.sent);
    expect(closed.counters.errors).toEqual({});
  });
});
