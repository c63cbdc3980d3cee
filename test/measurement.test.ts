/**
 * Numbers you can trust: a server that stalls 200 ms once a second shows in the open-loop p99 and
 * hides in the closed-loop one (coordinated omission); broadcast fan-out is timed to the last
 * receiver; a load generator that falls behind its schedule says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../common/histogram.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { testPlan } from './helpers/load-plan.ts';
import { runLoad } from '../loadgen/runner.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import { ServerStatsClient } from '../loadgen/server-stats.ts';

const plan = (url: string, overrides: Partial<LoadPlan>): LoadPlan => testPlan(url, { durationMs: 3000, drainTimeoutMs: 10_000, ...overrides });

describe('a server that stalls 200 ms every second', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model: 'baseline', host: '127.0.0.1', port: 0, extraArgs: ['--debug-stall-ms', '200', '--debug-stall-every-ms', '1000'] });
  });
  afterAll(() => server.stop());

  it('shows in the open-loop p99 and hides in the closed-loop p99', async () => {
    const open = await runLoad(plan(server.url, {}));
    const closed = await runLoad(plan(server.url, { mode: { kind: 'closed-loop', inFlight: 1 } }));
    const openP99 = summarize(open.counters.latency).p99;
    const closedP99 = summarize(closed.counters.latency).p99;
    expect(open.lost + closed.lost).toBe(0);
    // ~20% of open-loop sends are scheduled inside a stall: the p99 is most of the 200 ms.
    expect(openP99).toBeGreaterThan(100_000);
    // In closed loop only the few messages in flight when a stall begins wait; the rest are never sent.
    expect(openP99).toBeGreaterThan(3 * closedP99);
    expect(open.selfCheck.saturated).toBe(false);
  });
});

describe('broadcast fan-out', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model: 'actor', host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.stop());

  it('times every delivery and the last receiver of each broadcast, with delivered == expected', async () => {
    const m = await runLoad(plan(server.url, { durationMs: 1000, mode: { kind: 'open-loop', rate: 20 }, mix: { echo: 0, broadcast: 1, sendTo: 0 } }), {
      serverStats: new ServerStatsClient(server.url),
    });
    const c = m.counters;
    expect(c.broadcasts).toBe(20);
    expect(c.broadcastsExpected).toBe(20 * 49);
    expect(c.broadcastsDelivered).toBe(c.broadcastsExpected);
    expect(c.fanoutsCompleted).toBe(20);
    expect(c.fanout.totalCount).toBe(20);
    expect(c.latencyByKind.broadcast.totalCount).toBe(20 * 49);
    // The last receiver is never earlier than the median one.
    expect(summarize(c.fanout).p50).toBeGreaterThanOrEqual(summarize(c.latencyByKind.broadcast).p50);
    expect(m.server?.actor?.handled.broadcast).toBeGreaterThanOrEqual(19);
    expect(m.timeSeries.length).toBeGreaterThanOrEqual(1);
  });
});

describe('the self-check', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model: 'baseline', host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.stop());

  it('marks the run loadgen-saturated when the load generator itself falls behind', async () => {
    // Block the load generator's own event loop for 100 ms every 250 ms: its sends leave late.
    const hog = setInterval(() => {
      const until = Date.now() + 100;
      while (Date.now() < until) {
        // busy on purpose
      }
    }, 250);
    try {
      const m = await runLoad(plan(server.url, { durationMs: 2000 }));
      expect(m.selfCheck.saturated).toBe(true);
      expect(m.selfCheck.reason).toMatch(/behind schedule/);
      expect(m.selfCheck.sendLag.p99).toBeGreaterThan(10_000);
    } finally {
      clearInterval(hog);
    }
  });
});
