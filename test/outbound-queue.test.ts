/**
 * The outbound queue over a real socket whose reader has stopped: the socket's buffers fill, the
 * queue fills to its capacity, senders wait; once the reader resumes, everything arrives in order.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { OutboundQueue } from '../servers/common/outbound.ts';
import { pause } from './helpers/test-client.ts';

const FRAME_BYTES = 64 * 1024;
const FRAMES = 400; // 25 MiB: far beyond what loopback's socket buffers hold
const CAPACITY = 100;

let wss: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve())));

async function pairWithQueue(): Promise<{ client: WebSocket; queue: OutboundQueue }> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss!.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss!.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once('open', resolve));
  return { client, queue: new OutboundQueue(await serverSide, CAPACITY) };
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
