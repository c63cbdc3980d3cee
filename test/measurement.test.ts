/**
 * Numbers you can trust: a server that stalls 200 ms once a second shows in the open-loop tail and
 * mostly hides in the closed-loop one (coordinated omission); broadcast fan-out is timed to the last
 * receiver; a load generator that falls behind its schedule says so.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { encodeWelcome } from '../common/protocol.ts';
import { summarize } from '../common/histogram.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { testPlan } from './helpers/load-plan.ts';
import { runLoad } from '../loadgen/runner.ts';
import type { Measurement } from '../loadgen/record/measurement.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import { ServerStatsClient } from '../loadgen/server-stats.ts';

const STALL_MS = 200;
const plan = (url: string, overrides: Partial<LoadPlan>): LoadPlan => testPlan(url, { durationMs: 3000, drainTimeoutMs: 10_000, ...overrides });

describe('a server that stalls 200 ms every second', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model: 'baseline', host: '127.0.0.1', port: 0, debug: { stallMs: STALL_MS, stallEveryMs: 1000 } });
  });
  afterAll(() => server.stop());

  it('shows in the open-loop tail and mostly hides in the closed-loop one', async () => {
    const open = await runLoad(plan(server.url, {}));
    const closed = await runLoad(plan(server.url, { mode: { kind: 'closed-loop', inFlight: 1 } }));
    expect(open.lost + closed.lost).toBe(0);
    // Ranks, not timings: ~20% of open-loop sends are scheduled inside a stall and wait up to 200 ms
    // for it, so at least 10% of them wait more than a fifth of it (about 15% do on a quiet machine;
    // a loaded machine only adds latency).
    const openP90 = percentileMs(open, 90);
    expect(openP90).toBeGreaterThanOrEqual(STALL_MS / 5);
    // In closed loop only the one probe per client in flight when a stall begins waits, while the
    // rest of each second carries thousands: far fewer than 10% of its probes see the stall.
    expect(percentileMs(closed, 90)).toBeLessThan(openP90 / 2);
  });
});

function percentileMs(m: Measurement, percentile: number): number {
  return m.histograms.latency.getValueAtPercentile(percentile) / 1000;
}

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
    expect(m.histograms.fanout.totalCount).toBe(20);
    expect(m.histograms.latencyByKind.broadcast.totalCount).toBe(20 * 49);
    // The last receiver is never earlier than the median one.
    expect(summarize(m.histograms.fanout).p50).toBeGreaterThanOrEqual(summarize(m.histograms.latencyByKind.broadcast).p50!);
    expect(m.server?.contention.counts?.byOperation.broadcast).toBeGreaterThanOrEqual(19);
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
      expect(m.selfCheck.side === 'send' || m.selfCheck.side === 'both').toBe(true);
      expect(m.selfCheck.reason).toMatch(/behind schedule/);
      expect(m.selfCheck.sendSide.late).toBeGreaterThanOrEqual(2);
      expect(m.selfCheck.advice).toMatch(/--pin/);
    } finally {
      clearInterval(hog);
    }
  });

  it('marks a run saturated on the receive side when its loop is blocked while replies are due, though every send left on time', async () => {
    // 40 sends, 100 ms apart; a server in this process answers each 5 ms later, and the loop is
    // blocked 50 ms at each send's arrival, while its reply is due: replies are read late.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    let id = 0;
    wss.on('connection', (ws) => {
      ws.send(encodeWelcome(++id));
      ws.on('message', (data: Buffer) => {
        setTimeout(() => ws.send(data, { binary: false }), 5);
        const until = performance.now() + 50;
        while (performance.now() < until) {
          // the receiving loop blocked on purpose
        }
      });
    });
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
      const m = await runLoad(testPlan(url, { clients: 4, warmupMs: 0, durationMs: 4000, mode: { kind: 'open-loop', rate: 10 } }));
      expect(m.counters.sent).toBe(40);
      expect(m.lost).toBe(0);
      expect(m.selfCheck.receiveSide.saturated).toBe(true);
      expect(m.selfCheck.receiveSide.late).toBeGreaterThanOrEqual(20);
      // Sends had 45 ms of slack after each block: far fewer of them were late, if any.
      expect(m.selfCheck.sendSide.late).toBeLessThan(m.selfCheck.receiveSide.late / 2);
      expect(m.selfCheck.saturated).toBe(true);
      expect(['receive', 'both']).toContain(m.selfCheck.side);
      expect(m.selfCheck.reason).toMatch(/event loop ran more than 10 ms late in \d+ of \d+ checks while replies were due/);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  it('counts both sides: every send, and the loop checks made while replies were due', async () => {
    // A server that answers 20 ms late, so that replies are due at most checks: against a fast one
    // they can all come back between two checks (this test once saw 0 checks with replies due).
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    let id = 0;
    wss.on('connection', (ws) => {
      ws.send(encodeWelcome(++id));
      ws.on('message', (data: Buffer) => setTimeout(() => ws.send(data, { binary: false }), 20));
    });
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
      const m = await runLoad(testPlan(url, { clients: 10, durationMs: 1000, mode: { kind: 'open-loop', rate: 200 } }));
      expect(m.selfCheck.sendSide.events).toBe(m.counters.sent);
      expect(m.selfCheck.receiveSide.events).toBeGreaterThan(0);
      expect(m.selfCheck.receiveSide.late).toBeLessThanOrEqual(m.selfCheck.receiveSide.events);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
