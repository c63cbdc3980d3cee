/**
 * One connection's frames are handled one at a time, and while one waits the socket is paused:
 * checked with a real socket pair and a registry whose echo waits until the test lets it go.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { BaselineRegistry } from '../servers/baseline/registry.ts';
import { serveConnection } from '../servers/common/connection.ts';
import { OutboundQueue, type Frame } from '../servers/common/outbound.ts';
import { pause } from './helpers/test-client.ts';

/** A baseline registry whose echoes wait for release(), one at a time. */
class GatedRegistry extends BaselineRegistry {
  readonly started: string[] = [];
  private gates: (() => void)[] = [];
  override echo(from: number, frame: Frame): Promise<void> {
    this.started.push(frame.toString());
    return new Promise<void>((resolve) => this.gates.push(resolve)).then(() => super.echo(from, frame));
  }
  releaseOne(): void {
    this.gates.shift()?.();
  }
}

let wss: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve())));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await pause(10);
  expect(condition()).toBe(true);
}

describe('serveConnection', () => {
  it('handles one frame at a time and pauses the socket while a frame waits', async () => {
    const registry = new GatedRegistry();
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss!.once('listening', resolve));
    const serverSide = new Promise<WebSocket>((resolve) =>
      wss!.once('connection', (ws) => {
        serveConnection(ws, registry, new OutboundQueue(ws));
        resolve(ws);
      }),
    );
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));
    await new Promise((resolve) => client.once('open', resolve));
    for (const text of ['one', 'two', 'three']) client.send(text);
    const server = await serverSide;

    await until(() => registry.started.length === 1);
    await until(() => server.isPaused);
    await pause(50);
    expect(registry.started).toEqual(['one']); // the second waits for the first

    registry.releaseOne();
    await until(() => registry.started.length === 2);
    registry.releaseOne();
    await until(() => registry.started.length === 3);
    registry.releaseOne();
    await until(() => received.length === 4);
    expect(received).toEqual(['/welcome 1', 'one', 'two', 'three']);
    await until(() => !server.isPaused);
    client.close();
  });
});
