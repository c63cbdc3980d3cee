/**
 * The load generator's accounting against deliberately wrong servers over real sockets: a
 * duplicate never hides a loss, extra deliveries are errors, a server that hangs up before the
 * welcome is a counted connect failure.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeWelcome } from '../common/protocol.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { testPlan } from './helpers/load-plan.ts';
import { runLoad } from '../loadgen/runner.ts';

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
    expect(m.counters.errors['extra-delivery']).toBe(50);
    // Every delivery is timed, the duplicates too (they are flagged as extra, never hidden).
    expect(m.histograms.latency.totalCount).toBe(100);
  });

  it('reports nothing lost or extra when every probe is answered once', async () => {
    const url = await fakeServer((ws, data) => ws.send(data, { binary: false }));
    const m = await runLoad(plan(url));
    expect(m.lost).toBe(0);
    expect(m.extra).toBe(0);
    expect(m.counters.received).toBe(m.counters.sent);
    expect(m.counters.errors).toEqual({});
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
