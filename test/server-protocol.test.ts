/** Each model's real server, over real sockets: the protocol, and bad input costing only its sender. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDefinition } from '../servers/common/model-definition.ts';
import { CONTRACT_MODELS } from './helpers/contract-models.ts';
import { startServer, type RunningServer } from '../servers/server.ts';
import WebSocket from 'ws';
import { connectTestClient, pause } from './helpers/test-client.ts';

const MAX_PAYLOAD = 4096;

async function clientCount(server: RunningServer): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.port}/clients/count`);
  return ((await res.json()) as { count: number }).count;
}

/** Polls the admin route until the registry holds `expected` clients (unregistering is asynchronous). */
async function waitForCount(server: RunningServer, expected: number): Promise<number> {
  let count = await clientCount(server);
  for (let i = 0; i < 100 && count !== expected; i++) {
    await pause(20);
    count = await clientCount(server);
  }
  return count;
}

describe.each(CONTRACT_MODELS.map((m) => [m.name, m] as const))('%s server', (_name: string, model: ModelDefinition) => {
  let server: RunningServer;
  let url: string;
  beforeAll(async () => {
    server = await startServer({ model, port: 0, maxPayload: MAX_PAYLOAD });
    url = `ws://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('welcomes each client with a distinct id, echoes plain text, and routes /to by id', async () => {
    const [a, b] = [await connectTestClient(url), await connectTestClient(url)];
    expect(a.id).not.toBe(b.id);
    a.ws.send('hello');
    a.ws.send(`/to ${b.id} just for b`);
    expect(await a.waitForFrames(1)).toEqual(['hello']);
    expect(await b.waitForFrames(1)).toEqual(['just for b']);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('broadcasts to every other client but not the sender, including the bare word "broadcast"', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectTestClient(url)));
    const [sender, ...others] = clients as [Awaited<ReturnType<typeof connectTestClient>>, ...Awaited<ReturnType<typeof connectTestClient>>[]];
    sender.ws.send('/broadcast hi all');
    sender.ws.send('broadcast');
    for (const other of others) expect(await other.waitForFrames(2)).toEqual(['hi all', 'broadcast']);
    sender.ws.send('marker');
    expect(await sender.waitForFrames(1)).toEqual(['marker']);
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  });

  it('answers bad commands with an error frame and keeps the connection open', async () => {
    const a = await connectTestClient(url);
    a.ws.send('/frobnicate now');
    a.ws.send('/to 999999 nobody');
    a.ws.send('/to x y');
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    a.ws.send('still here');
    const frames = await a.waitForFrames(5);
    expect(frames.map((f) => (f.startsWith('/error ') ? f.split(' ')[1] : f))).toEqual([
      'unknown-command',
      'unknown-client',
      'bad-arguments',
      'binary-not-supported',
      'still here',
    ]);
    a.ws.close();
    await a.closed;
  });

  it('sends the welcome first even to a client that talks before it arrives', async () => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const frames: string[] = [];
    ws.on('message', (data: Buffer) => frames.push(data.toString()));
    ws.on('open', () => {
      ws.send(Buffer.from([1]), { binary: true });
      ws.send('early');
      ws.send('/nope');
    });
    for (let i = 0; i < 200 && frames.length < 4; i++) await pause(10);
    expect(frames[0]).toMatch(/^\/welcome \d+$/);
    expect(frames.slice(1).map((f) => (f.startsWith('/error ') ? f.split(' ')[1] : f))).toEqual(['binary-not-supported', 'early', 'unknown-command']);
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
  });

  it('closes an oversized frame with 1009 and invalid UTF-8 with 1007, while others carry on', async () => {
    const [big, bad, bystander] = [await connectTestClient(url), await connectTestClient(url), await connectTestClient(url)];
    big.ws.send('x'.repeat(MAX_PAYLOAD + 1));
    bad.ws.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false });
    expect(await big.closed).toBe(1009);
    expect(await bad.closed).toBe(1007);
    bystander.ws.send('fine');
    expect(await bystander.waitForFrames(1)).toEqual(['fine']);
    bystander.ws.close();
    await bystander.closed;
  });

  it('leaves the registry empty after all clients leave', async () => {
    expect(await waitForCount(server, 0)).toBe(0);
    const clients = await Promise.all(Array.from({ length: 30 }, () => connectTestClient(url)));
    expect(await clientCount(server)).toBe(30);
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    expect(await waitForCount(server, 0)).toBe(0);
    expect(server.handlerErrors()).toBe(0);
  });

  it('POST /broadcast sends the body to every client through the registry; bad bodies get 400 or 413', async () => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => connectTestClient(url)));
    const post = (body: string | Blob): Promise<Response> => fetch(`http://127.0.0.1:${server.port}/broadcast`, { method: 'POST', body });
    expect((await post('from the admin side')).status).toBe(204);
    for (const c of clients) expect(await c.waitForFrames(1)).toEqual(['from the admin side']);
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toMatch(/UTF-8 text/);
    expect((await post(new Blob([new Uint8Array([0xff, 0xfe])]))).status).toBe(400);
    expect((await post('x'.repeat(MAX_PAYLOAD + 1))).status).toBe(413);
    await pause(50);
    for (const c of clients) expect(c.frames).toEqual(['from the admin side']); // nothing else arrived
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  });
});
