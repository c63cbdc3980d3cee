/**
 * The fault proxy: in front of a real server, each fault does what it says — delay and bandwidth
 * set lower bounds on a round trip (asserted as bounds, not timings), stalls show in the tail,
 * resets close connections abnormally — and a bench run through the proxies reports them and
 * shows 200 ms stalls per second in its open-loop p99, against a control run through the proxy
 * without faults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { networkFaultsSchema, type NetworkFaults } from '../common/network-faults.ts';
import { runBench } from '../loadgen/bench.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { BENCH_DEFAULTS } from '../loadgen/bench-options.ts';
import { seededRandom } from '../loadgen/random.ts';
import { FaultProxy, fileLimitClients } from '../netfault/proxy.ts';
import { startServer, type RunningServer } from '../servers/server.ts';
import { connectTestClient, pause, type TestClient } from './helpers/test-client.ts';

const faults = (f: Partial<NetworkFaults>): NetworkFaults => networkFaultsSchema.parse(f);

describe('the fault proxy in front of a server', () => {
  let server: RunningServer | undefined;
  let proxy: FaultProxy | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await proxy?.close();
    await server?.close();
    server = undefined;
    proxy = undefined;
  });

  async function through(f: Partial<NetworkFaults>): Promise<string> {
    server = await startServer({ model: 'actor', port: 0 });
    proxy = new FaultProxy({ host: '127.0.0.1', port: server.port }, faults(f), seededRandom(1));
    return `ws://127.0.0.1:${await proxy.listen()}`;
  }

  /** Round trips of `count` echoes of `text`, one after another (`gapMs` apart), in ms. */
  async function roundTrips(client: TestClient, count: number, text = 'ping', gapMs = 0): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      if (gapMs > 0) await pause(gapMs);
      const start = performance.now();
      client.ws.send(text);
      await client.waitForFrames(i + 1, 10_000);
      times.push(performance.now() - start);
    }
    return times;
  }

  it('without faults, forwards both ways and counts the bytes', async () => {
    const client = await connectTestClient(await through({}));
    clients.push(client);
    await roundTrips(client, 5);
    const stats = proxy!.stats();
    expect(stats.connections).toBe(1);
    expect(stats.bytesUp).toBeGreaterThan(5 * 4);
    expect(stats.bytesDown).toBeGreaterThan(5 * 4);
    expect(stats.chunksStalled + stats.resets).toBe(0);
  });

  it('adds its delay in each direction: no round trip is shorter than twice it', async () => {
    const client = await connectTestClient(await through({ delayMs: 40 }));
    clients.push(client);
    const times = await roundTrips(client, 5);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(79);
  });

  it('caps the bandwidth: 60 KB each way at 64 KiB/s takes most of two seconds', async () => {
    const client = await connectTestClient(await through({ bandwidthBytesPerSec: 64 * 1024 }));
    clients.push(client);
    const [time] = await roundTrips(client, 1, 'x'.repeat(60_000));
    expect(time!).toBeGreaterThanOrEqual(1500);
  });

  it('holds everything during a stall: some round trips wait for its end, most do not', async () => {
    const client = await connectTestClient(await through({ stall: { everyMs: 500, forMs: 200 } }));
    clients.push(client);
    const times = await roundTrips(client, 40, 'ping', 25); // about a second: two stall periods
    expect(proxy!.stats().chunksStalled).toBeGreaterThan(0);
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted.at(-1)!).toBeGreaterThanOrEqual(50); // waited for a stall to end
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThan(sorted.at(-1)! / 2);
  });

  it('resets connections: each client is cut off abnormally (1006, or its handshake fails), and the proxy counts it', async () => {
    const url = await through({ resetsPerSecond: 50 });
    const outcomes = await Promise.all(
      [0, 1, 2].map(async () => {
        try {
          const client = await connectTestClient(url);
          clients.push(client);
          return await client.closed;
        } catch {
          return 'reset during the handshake';
        }
      }),
    );
    for (const outcome of outcomes) expect([1006, 'reset during the handshake']).toContain(outcome);
    expect(proxy!.stats().resets).toBeGreaterThanOrEqual(3);
  });

  it('carries (hard limit − 256) / 2 clients per process: two sockets each', () => {
    expect(fileLimitClients(20_000)).toBe(9872);
  });
});

describe('a bench run through the fault proxies', () => {
  const run = async (scenario: string): Promise<Awaited<ReturnType<typeof runBench>>> =>
    runBench(resolveBenchPlan({ ...BENCH_DEFAULTS, model: 'actor', scenario, clients: 200, rate: 1000, warmupSeconds: 1, durationSeconds: 4, outDir: 'results' }), ['test']);

  it('shows 200 ms stalls per second in the open-loop p99, and says the proxy was in the path', async () => {
    const stalled = await run('echo-stalls');
    const control = await run('echo-proxy');
    expect(stalled.status).toBe('completed');
    expect(control.status).toBe('completed');
    if (stalled.status !== 'completed' || control.status !== 'completed') return;
    expect(stalled.network?.described).toBe('200 ms stall every 1000 ms');
    expect(control.network?.described).toBe('no faults (control run through the proxy)');
    expect(stalled.network?.proxies).toBe(1);
    expect(stalled.network?.stats[0]?.chunksStalled).toBeGreaterThan(0);
    console.log(`p99 with 200 ms stalls a second ${(stalled.latency.p99! / 1000).toFixed(1)} ms, through the proxy without faults ${(control.latency.p99! / 1000).toFixed(1)} ms`);
    // A fifth of the time stalled: more than 1% of probes wait 100 ms or more, so p99 is at least that.
    expect(stalled.latency.p99).toBeGreaterThanOrEqual(100_000);
    expect(control.latency.p99! * 2).toBeLessThan(stalled.latency.p99!);
    expect(stalled.messages.lost + control.messages.lost).toBe(0);
  }, 120_000);
});
