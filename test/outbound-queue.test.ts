/**
 * The outbound queue over a real socket whose reader has stopped: the socket's buffers fill, the
 * queue fills to its capacity, senders wait; once the reader resumes, everything arrives in order.
 * With the `drop` and `disconnect` policies nobody waits, and every frame is either delivered or
 * counted as dropped.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { OutboundQueue, READY, type OutboundQueueOptions } from '../servers/common/outbound.ts';
import { PolicyCounters } from '../servers/common/slow-consumer-policy.ts';
import { pause } from './helpers/test-client.ts';

const FRAME_BYTES = 64 * 1024;
const FRAMES = 400; // 25 MiB: far beyond what loopback's socket buffers hold
const CAPACITY = 100;

let wss: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve())));

async function pairWithQueue(options: OutboundQueueOptions = {}): Promise<{ client: WebSocket; queue: OutboundQueue }> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss!.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss!.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once('open', resolve));
  return { client, queue: new OutboundQueue(await serverSide, { capacity: CAPACITY, ...options }) };
}

/** A queue with the disconnect policy to a client that has stopped reading, with what it receives counted and its close code awaited. */
async function stoppedReader(timeoutMs: number): Promise<{ client: WebSocket; queue: OutboundQueue; counters: PolicyCounters; closed: Promise<number>; received: () => number }> {
  const counters = new PolicyCounters();
  const { client, queue } = await pairWithQueue({ policy: { kind: 'disconnect', timeoutMs }, policyCounters: counters });
  let received = 0;
  client.on('message', () => void received++);
  const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
  client.pause();
  return { client, queue, counters, closed, received: () => received };
}

describe('OutboundQueue', () => {
  it('makes senders wait while a client does not read, then delivers everything in order', async () => {
    const { client, queue } = await pairWithQueue();
    const received: number[] = [];
    client.on('message', (data: Buffer) => received.push(Number(data.toString('latin1', 0, 6))));
    client.pause();

    let admitted = 0;
    const sends = Array.from({ length: FRAMES }, (_, i) => {
      const frame = Buffer.alloc(FRAME_BYTES, 'x'); // text frames: the queue sends text
      frame.write(String(i).padStart(6, '0'), 0, 'latin1');
      return queue.send(frame).then(() => void admitted++);
    });
    await pause(300);
    expect(queue.queued).toBe(CAPACITY);
    expect(queue.waitingSenders).toBeGreaterThan(0);
    expect(admitted).toBeLessThan(FRAMES);
    expect(received).toEqual([]);

    client.resume();
    await Promise.all(sends);
    for (let i = 0; i < 200 && received.length < FRAMES; i++) await pause(25);
    expect(received).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    client.close();
  });

  it('releases waiting senders when the connection closes', async () => {
    const { client, queue } = await pairWithQueue();
    client.pause();
    const sends = Array.from({ length: FRAMES }, () => queue.send(Buffer.alloc(FRAME_BYTES, 'x')));
    await pause(300);
    expect(queue.waitingSenders).toBeGreaterThan(0);
    queue.close();
    await expect(Promise.all(sends)).resolves.toHaveLength(FRAMES);
    expect(queue.waitingSenders).toBe(0);
    client.terminate();
  });
});

describe('OutboundQueue with a slow-consumer policy', () => {
  const numbered = (i: number): Buffer => {
    const frame = Buffer.alloc(FRAME_BYTES, 'x');
    frame.write(String(i).padStart(6, '0'), 0, 'latin1');
    return frame;
  };

  it('drop: never makes a sender wait; delivered + dropped == sent, in order', async () => {
    const counters = new PolicyCounters();
    let fullEvents = 0;
    const { client, queue } = await pairWithQueue({ policy: { kind: 'drop' }, policyCounters: counters, onFull: () => void fullEvents++ });
    const received: number[] = [];
    client.on('message', (data: Buffer) => received.push(Number(data.toString('latin1', 0, 6))));
    client.pause();
    for (let i = 0; i < FRAMES; i++) {
      expect(queue.send(numbered(i))).toBe(READY);
      if (i % 50 === 49) await pause(20); // let the writer fill the socket's buffers
    }
    expect(queue.waitingSenders).toBe(0);
    expect(counters.dropped).toBeGreaterThan(0);
    expect(fullEvents).toBe(counters.dropped);
    client.resume();
    for (let i = 0; i < 200 && received.length + counters.dropped < FRAMES; i++) await pause(25);
    expect(received.length + counters.dropped).toBe(FRAMES);
    expect(received).toEqual([...received].sort((a, b) => a - b)); // what arrives keeps its order
    expect(counters.disconnected).toBe(0);
    client.close();
  });

  it('disconnect: closes a client whose queue stays full past the timeout with 1008, counting what it never got', async () => {
    const { client, queue, counters, closed, received } = await stoppedReader(100);
    for (let i = 0; i < FRAMES; i++) {
      expect(queue.send(numbered(i))).toBe(READY);
      await pause(i % 10 === 9 ? 30 : 0); // 400 frames over ~1.2 s: the queue stays full past 100 ms
    }
    expect(counters.disconnected).toBe(1);
    client.resume(); // the reader comes back: it gets what was written before the close, then 1008
    expect(await closed).toBe(1008);
    expect(received() + counters.dropped).toBe(FRAMES);
  });

  it('disconnect: closes a client whose queue filled with the last frames sent to it, though no send comes after the timeout', async () => {
    const { client, queue, counters, closed, received } = await stoppedReader(100);
    // One frame at a time until the socket's buffers are full and frames stay queued (bounded).
    let sent = 0;
    while (queue.queued < CAPACITY / 2 && sent < 4 * FRAMES) {
      queue.send(numbered(sent++));
      await pause(2);
    }
    expect(queue.queued).toBeGreaterThanOrEqual(CAPACITY / 2);
    // Then enough at once to fill the queue, and nothing more for this client.
    for (let i = 0; i < CAPACITY; i++) queue.send(numbered(sent++));
    expect(counters.dropped).toBeGreaterThan(0);
    expect(counters.disconnected).toBe(0);
    // Only the policy's timer can close it now (no timing asserted: waited for, up to 10 s).
    for (let waited = 0; counters.disconnected === 0 && waited < 10_000; waited += 20) await pause(20);
    expect(counters.disconnected).toBe(1);
    client.resume();
    expect(await closed).toBe(1008);
    expect(received() + counters.dropped).toBe(sent);
  });
});
