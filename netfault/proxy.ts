/**
 * The fault proxy: accepts TCP connections, opens one to the upstream server for each, and pipes
 * bytes both ways through FaultyPipes; resets random connections at the configured rate. It holds
 * two sockets per client (file limit: see fileLimitClients).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { NetworkFaults, ProxyStats } from '../common/network-faults.ts';
import { FaultyPipe, type PipeCounters } from './pipe.ts';

/** Open files a proxy keeps for itself (its listener, stdio, the runtime's own), besides two per client. */
const RESERVED_FILES = 256;

/** Clients one proxy process carries under a hard open-file limit of `hardLimit` (two sockets each). */
export function fileLimitClients(hardLimit: number): number {
  return Math.max(1, Math.floor((hardLimit - RESERVED_FILES) / 2));
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

export class FaultProxy {
  private readonly server: net.Server;
  private readonly open = new Set<Pair>();
  private readonly started = performance.now();
  private readonly up: PipeCounters = { bytes: 0, chunksStalled: 0, pauses: 0 };
  private readonly down: PipeCounters = { bytes: 0, chunksStalled: 0, pauses: 0 };
  private connections = 0;
  private resets = 0;
  private resetTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly upstream: { readonly host: string; readonly port: number },
    private readonly faults: NetworkFaults,
    private readonly random: () => number,
  ) {
    // Half-open: an end from one side is passed on after the data before it (pipe.ts), not at once.
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        this.scheduleReset();
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  stats(): ProxyStats {
    return { connections: this.connections, bytesUp: this.up.bytes, bytesDown: this.down.bytes, chunksStalled: this.up.chunksStalled + this.down.chunksStalled, resets: this.resets, pauses: this.up.pauses + this.down.pauses };
  }

  async close(): Promise<void> {
    if (this.resetTimer !== undefined) clearTimeout(this.resetTimer);
    for (const pair of this.open) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect({ host: this.upstream.host, port: this.upstream.port, noDelay: true, allowHalfOpen: true });
    const pair: Pair = { client, upstream };
    this.open.add(pair);
    const clock = (): number => performance.now() - this.started;
    const pipes = [new FaultyPipe(client, upstream, this.faults, clock, this.random, this.up), new FaultyPipe(upstream, client, this.faults, clock, this.random, this.down)];
    let gone = false;
    const teardown = (): void => {
      if (gone) return;
      gone = true;
      this.open.delete(pair);
      for (const pipe of pipes) pipe.dispose();
      client.destroy();
      upstream.destroy();
    };
    // An error, or a socket closed in both directions (its ends passed on), ends both: what one side
    // cannot hear, the other must not wait for.
    for (const socket of [client, upstream]) {
      socket.on('error', teardown);
      socket.on('close', teardown);
    }
  }

  /** Resets one open connection at random, at exponential intervals averaging 1 / resetsPerSecond. */
  private scheduleReset(): void {
    const rate = this.faults.resetsPerSecond ?? 0;
    if (rate <= 0) return;
    const waitMs = (-Math.log(1 - this.random()) / rate) * 1000;
    this.resetTimer = setTimeout(() => {
      const pairs = [...this.open];
      const victim = pairs[Math.floor(this.random() * pairs.length)];
      if (victim) {
        this.resets++;
        victim.client.resetAndDestroy();
        victim.upstream.destroy();
      }
      this.scheduleReset();
    }, waitMs);
    this.resetTimer.unref();
  }
}
