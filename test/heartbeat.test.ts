/**
 * The heartbeat finds a client that stopped answering at the TCP level (its socket no longer read,
 * so pings go unanswered, with no close frame), terminates it and lets the registry drop it,
 * within two intervals; a client that reads is never touched; with the heartbeat off (the
 * default) the silent client stays, as the slow-consumer scenarios need.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../servers/server.ts';
import { connectTestClient, pause, type TestClient } from './helpers/test-client.ts';

const INTERVAL_MS = 400;
const MODELS = ['actor', 'mutex', 'baseline'] as const;

/** Stops reading the client's socket: from now on it answers nothing, and sends no close frame. */
const silence = (client: TestClient): void => void (client.ws as unknown as { _socket: Socket })._socket.pause();

async function waitForSize(server: RunningServer, size: number, timeoutMs: number): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if ((await server.registry.size()) === size) return;
    await pause(10);
  }
  throw new Error(`the registry did not reach ${size} within ${timeoutMs} ms (it has ${await server.registry.size()})`);
}

describe.each(MODELS)('heartbeat · %s', (model) => {
  let server: RunningServer | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await server?.close();
    server = undefined;
  });

  it('removes a client that stopped answering pings within two intervals, and only that one', async () => {
    server = await startServer({ model, port: 0, heartbeatMs: INTERVAL_MS });
    const url = `ws://127.0.0.1:${server.port}`;
    const healthy = await connectTestClient(url);
    const silent = await connectTestClient(url);
    clients.push(healthy, silent);
    await pause(INTERVAL_MS * 2.5); // both answered a few pings
    expect(await server.registry.size()).toBe(2);

    const heartbeat = server.heartbeat!;
    silence(silent);
    const silencedAt = heartbeat.ticks;
    await waitForSize(server, 1, INTERVAL_MS * 10);
    expect(heartbeat.terminated).toBe(1);
    // Counted in the heartbeat's own rounds, not timed: a timer that fires late on a busy machine
    // makes an interval longer, not the count higher.
    expect(heartbeat.ticks - silencedAt).toBeLessThanOrEqual(2);
    expect(heartbeat.ticks - silencedAt).toBeGreaterThanOrEqual(1);

    await pause(INTERVAL_MS * 3);
    expect(await server.registry.size()).toBe(1); // the reading client answered every ping
    expect(heartbeat.terminated).toBe(1);
    healthy.ws.send('still here');
    expect(await healthy.waitForFrames(1)).toEqual(['still here']);
  });

  it('is off by default: a silent client stays registered', async () => {
    server = await startServer({ model, port: 0 });
    const silent = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    clients.push(silent);
    silence(silent);
    await pause(INTERVAL_MS * 3);
    expect(await server.registry.size()).toBe(1);
    expect(server.heartbeat).toBeUndefined();
  });
});
