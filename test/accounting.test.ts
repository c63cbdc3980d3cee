/**
 * The load generator's accounting against deliberately wrong servers over real sockets, per
 * (probe, receiver): a duplicate never hides a loss, and every surplus or missing delivery is
 * named by its cause — a broadcast twice to one client and never to another, a broadcast back to
 * its sender, an echo at the wrong client; a server that hangs up before the welcome is a counted
 * connect failure.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeWelcome } from '../common/protocol.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { testPlan } from './helpers/load-plan.ts';
import { runLoad } from '../loadgen/runner.ts';
import { summarize } from '../common/histogram.ts';

let wss: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve())));

/** A server that welcomes each client, then answers each frame with `reply(frame, n)` (n counts frames). */
async function fakeServer(onFrame: (ws: WebSocket, data: Buffer, n: number) => void, welcome = true): Promise<string> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss!.once('listening', resolve));
  let id = 0;
  let n = 0;
  wss.on('connection', (ws) => {
    if (!welcome) return ws.close(1011, 'no');
    ws.send(encodeWelcome(++id));
    ws.on('message', (data: Buffer) => onFrame(ws, data, n++));
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** The other clients of the fake server, in the order they connected. */
const others = (ws: WebSocket): WebSocket[] => [...wss!.clients].filter((c) => c !== ws);
/** A broadcast probe as the server passes it on: without its `/broadcast ` command. */
const stripBroadcast = (data: Buffer): Buffer => data.subarray('/broadcast '.length);
/** 10 measured broadcasts from random clients, no warm-up. */
const broadcasts = (url: string): LoadPlan => testPlan(url, { clients: 10, connectConcurrency: 10, connectTimeoutMs: 5000, warmupMs: 0, durationMs: 500, mode: { kind: 'open-loop', rate: 20 }, mix: { echo: 0, broadcast: 1, sendTo: 0 }, messageBytes: 0, drainTimeoutMs: 2000 });

const plan = (url: string): LoadPlan => testPlan(url, { clients: 10, connectConcurrency: 10, connectTimeoutMs: 5000, durationMs: 500, mode: { kind: 'open-loop', rate: 200 }, messageBytes: 0, drainTimeoutMs: 3000 }); // probes never answered hold the drain to its end: room for late answers on a loaded machine

describe('delivery accounting', () => {
  it('counts each missing echo as lost even when others arrive twice', async () => {
    // Every other frame is answered twice, the rest not at all: the totals match, the probes do not.
    const url = await fakeServer((ws, data, n) => {
      if (n % 2 === 0) {
        ws.send(data, { binary: false });
        ws.send(data, { binary: false });
      }
    });
    const m = await runLoad(plan(url));
    expect(m.counters.sent).toBe(100);
    expect(m.counters.received).toBe(100);
    expect(m.lost).toBe(50);
    expect(m.extra).toBe(50);
    expect(m.counters.errors['duplicate-delivery']).toBe(50);
    expect(m.deliveryCauses.measured).toMatchObject({ missing: 50, duplicate: 50, toSender: 0, wrongReceiver: 0 });
    // Every delivery is timed, the duplicates too (they are flagged as extra, never hidden), and
    // each lost one counts at the drain timeout (censored there): a loss only makes percentiles worse.
    expect(m.censored).toEqual({ atMs: 3000, deliveries: 50, fanouts: 0 });
    expect(m.histograms.latency.totalCount).toBe(150);
    expect(m.histograms.latency.maxValue).toBeGreaterThanOrEqual(3_000_000 * 0.999);
    expect(summarize(m.histograms.latency).p50).toBeLessThan(3_000_000 * 0.999);
  });

  it('reports nothing lost or extra when every probe is answered once', async () => {
    const url = await fakeServer((ws, data) => ws.send(data, { binary: false }));
    const m = await runLoad(plan(url));
    expect(m.lost).toBe(0);
    expect(m.extra).toBe(0);
    expect(m.counters.received).toBe(m.counters.sent);
    expect(m.counters.errors).toEqual({});
  });

  it('names a broadcast delivered twice to one client and never to another', async () => {
    const url = await fakeServer((ws, data) => {
      const [first, second, ...rest] = others(ws);
      for (const client of [first, first, ...rest]) client?.send(stripBroadcast(data), { binary: false }); // `second` skipped
      void second;
    });
    const m = await runLoad(broadcasts(url));
    expect(m.counters.broadcasts).toBe(10);
    expect(m.deliveryCauses.measured).toMatchObject({ missing: 10, duplicate: 10, toSender: 0, wrongReceiver: 0, unknownProbe: 0 });
    expect(m.lost).toBe(10);
    expect(m.counters.errors['duplicate-delivery']).toBe(10);
    expect(m.counters.fanoutsCompleted).toBe(0);
  });

  it('names a broadcast that reaches its sender and skips someone else', async () => {
    const url = await fakeServer((ws, data) => {
      const [, ...rest] = others(ws); // the first other client is skipped…
      for (const client of [ws, ...rest]) client.send(stripBroadcast(data), { binary: false }); // …and the sender gets it
    });
    const m = await runLoad(broadcasts(url));
    expect(m.deliveryCauses.measured).toMatchObject({ missing: 10, duplicate: 0, toSender: 10, wrongReceiver: 0 });
    expect(m.counters.errors['broadcast-to-sender']).toBe(10);
  });

  it('counts a broadcast that missed one receiver in the fan-out at the drain timeout (censored), never leaves it out', async () => {
    const url = await fakeServer((ws, data) => {
      const [, ...rest] = others(ws); // one receiver of every broadcast never gets it
      for (const client of rest) client.send(stripBroadcast(data), { binary: false });
    });
    const m = await runLoad(broadcasts(url));
    expect(m.counters.broadcasts).toBe(10);
    expect(m.counters.fanoutsCompleted).toBe(0);
    expect(m.censored).toEqual({ atMs: 2000, deliveries: 10, fanouts: 10 });
    // Every broadcast took at least the drain timeout to reach all its receivers: p99 (and p50) at 2 s, not 0.
    const fanout = summarize(m.histograms.fanout);
    expect(fanout.count).toBe(10);
    expect(fanout.p99).toBeGreaterThanOrEqual(2_000_000 * 0.999);
    expect(fanout.p50).toBeGreaterThanOrEqual(2_000_000 * 0.999);
  });

  it('names an echo delivered to the wrong client', async () => {
    const url = await fakeServer((ws, data, n) => (n % 10 === 0 ? others(ws)[0]! : ws).send(data, { binary: false }));
    const m = await runLoad(plan(url));
    expect(m.deliveryCauses.measured).toMatchObject({ missing: 10, duplicate: 0, toSender: 0, wrongReceiver: 10 });
    expect(m.counters.errors['delivery-to-wrong-client']).toBe(10);
    expect(m.lost).toBe(10);
  });

  it('counts a server that closes before the welcome as one connect failure per client', async () => {
    const url = await fakeServer(() => {}, false);
    const m = await runLoad(plan(url));
    expect(m.clientsOpen).toBe(0);
    expect(m.clientsFailed).toBe(10);
    expect(m.counters.errors).toEqual({ 'connect:closed-before-welcome:1011': 10 });
    expect(m.histograms.handshake.totalCount).toBe(0);
    expect(m.counters.sent).toBe(0);
  });
});
