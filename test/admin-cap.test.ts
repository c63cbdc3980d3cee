/**
 * Admin requests waiting for a stalled registry are capped. A client stops reading; big broadcasts
 * fill its queue until the registry's sends wait on it (the actor busy, the lock held, the
 * baseline's sends queued); small ones then until an admin request waits. 10,000 more POST
 * /broadcast fired at once: the cap's worth wait, every other one is answered 503 at once and
 * counted, nothing is carried out; 10,000 more at the full cap are all refused, and the server's
 * memory after a forced GC across them stays within 10%. Once the silent client goes, the waiting
 * requests complete. The server is a child process, so
 * its memory is its own.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerGauges } from '../common/stats-schema.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import { connectTestClient, pause, type TestClient } from './helpers/test-client.ts';

const CAP = 50;
const REQUESTS = 10_000;
const BIG = 'x'.repeat(60_000);
const MODELS = ['actor', 'mutex', 'baseline'] as const;
// The servers these tests start must not inherit a token from the environment: their requests carry none.
delete process.env.WSBENCH_ADMIN_TOKEN;

/** POSTs or GETs with this agent and resolves with the status (the body is read and dropped). */
function request(origin: string, agent: http.Agent, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, { method, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(MODELS)('admin waiting cap · %s', (model) => {
  let server: ServerProcess | undefined;
  let silent: TestClient | undefined;
  const agents: http.Agent[] = [];
  afterEach(async () => {
    silent?.ws.terminate();
    for (const a of agents.splice(0)) a.destroy();
    await server?.stop();
    server = undefined;
  });

  it(`refuses all but the ${CAP} it can hold of ${REQUESTS} requests made while the registry is stalled, then all of ${REQUESTS} more, and keeps no memory of them`, async () => {
    server = await spawnServer({ model, host: '127.0.0.1', port: 0, adminMaxWaiting: CAP, debug: { gc: true } });
    const origin = `http://127.0.0.1:${server.port}`;
    const control = new http.Agent({ keepAlive: true });
    const stallers = new http.Agent({ keepAlive: true });
    const burst = new http.Agent({ keepAlive: true, maxSockets: CAP + 64 }); // the waiting ones hold a socket each
    agents.push(control, stallers, burst);
    const gauges = async (): Promise<ServerGauges> => JSON.parse((await request(origin, control, 'GET', '/stats/gauges')).text) as ServerGauges;
    const memory = async (): Promise<number> => (JSON.parse((await request(origin, control, 'POST', '/debug/gc')).text) as { rssBytes: number }).rssBytes;

    silent = await connectTestClient(server.url);
    (silent.ws as unknown as { _socket: Socket })._socket.pause();
    const stalling: Promise<unknown>[] = [];
    for (let i = 0; i < 2000 && (await gauges()).outboundQueueFullEvents === 0; i++) stalling.push(request(origin, stallers, 'POST', '/broadcast', BIG));
    expect((await gauges()).outboundQueueFullEvents).toBeGreaterThan(0);
    // The actor's mailbox still has room: fill it until a request waits.
    for (let i = 0; i < 3000 && ((await gauges()).adminWaiting ?? 0) === 0; i++) stalling.push(request(origin, stallers, 'POST', '/broadcast', 'fill'));
    await pause(200);
    const before = await gauges();
    expect(before.adminWaiting ?? 0).toBeGreaterThan(0);
    expect(before.adminWaiting).toBeLessThan(CAP);
    expect(before.adminRefused).toBe(0);
    const answers = Promise.all(Array.from({ length: REQUESTS }, () => request(origin, burst, 'POST', '/broadcast', 'burst')));
    const admitted = CAP - before.adminWaiting!;
    /** The gauges once the refusals reach `count` (every request then answered or waiting; bounded wait). */
    const settledAt = async (count: number): Promise<ServerGauges> => {
      for (let i = 0; i < 600 && ((await gauges()).adminRefused ?? 0) < count; i++) await pause(50);
      await pause(200); // a request past its count would show now
      return gauges();
    };
    const after = await settledAt(REQUESTS - admitted);
    expect(after.adminRefused).toBe(REQUESTS - admitted);
    expect(after.adminWaiting).toBe(CAP);
    expect(after.adminBroadcasts).toBe(before.adminBroadcasts); // nothing was carried out

    // Memory: the first burst raised RSS by some MiB in some runs (sockets, parser and allocator
    // arenas met for the first time, as in the fuzz test); a second burst of 10,000 at the full
    // cap, every one refused, shows whether refusals keep anything.
    const rssBefore = await memory();
    const again = Promise.all(Array.from({ length: REQUESTS }, () => request(origin, burst, 'POST', '/broadcast', 'burst')));
    const afterAgain = await settledAt(2 * REQUESTS - admitted);
    expect(afterAgain.adminRefused).toBe(2 * REQUESTS - admitted);
    expect(afterAgain.adminWaiting).toBe(CAP);
    expect(afterAgain.adminBroadcasts).toBe(before.adminBroadcasts);
    expect((await again).every((a) => a.status === 503)).toBe(true);
    const rssAfter = await memory();
    console.log(`${model}: ${after.adminRefused} of ${REQUESTS} refused (${before.adminWaiting} waiting before, cap ${CAP}), then all ${REQUESTS} at the full cap; RSS after GC ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(rssAfter / rssBefore).toBeLessThan(1.1);

    // The silent client goes: every waiting request completes, none of them refused.
    silent.ws.terminate();
    const statuses = (await answers).map((a) => a.status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(REQUESTS - admitted);
    expect(statuses.filter((s) => s === 204)).toHaveLength(admitted);
    await Promise.all(stalling);
    expect((await gauges()).adminWaiting).toBe(0);
  }, 120_000);
});
