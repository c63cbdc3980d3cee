/**
 * One direction of one proxied connection: chunks leave in order, each no earlier than its
 * arrival plus the delay and a jitter draw, never during a stall, and no faster than the bandwidth
 * cap. What waits is bounded: above HIGH_WATER bytes the source is paused until the queue drains
 * below LOW_WATER, and while the destination does not take what is written (its reader stopped)
 * nothing more is written and the source stays paused: a slow or stalled path, or a slow reader
 * behind it, shows as TCP backpressure, as it would without the proxy. An end is passed on once
 * everything before it has left (half-close), so a close frame is never lost to the delay.
 */
import type net from 'node:net';
import type { NetworkFaults } from '../common/network-faults.ts';

const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;

export interface PipeCounters {
  bytes: number;
  chunksStalled: number;
  pauses: number;
}

export class FaultyPipe {
  private readonly queue: { readonly at: number; readonly chunk: Buffer }[] = [];
  private queued = 0;
  private lastRelease = 0;
  private bandwidthFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  /** The destination's buffer is full: wait for its 'drain'. */
  private blocked = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly faults: NetworkFaults,
    /** ms since the proxy started: stalls are aligned to it, the same for every connection. */
    private readonly clock: () => number,
    private readonly random: () => number,
    private readonly counters: PipeCounters,
  ) {
    from.on('data', (chunk: Buffer) => this.accept(chunk));
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
  }

  private accept(chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    const now = this.clock();
    let at = Math.max(now + this.faults.delayMs + this.random() * this.faults.jitterMs, this.lastRelease);
    const stallEnd = this.stallEndAt(at);
    if (stallEnd !== undefined) {
      at = stallEnd;
      this.counters.chunksStalled++;
    }
    const rate = this.faults.bandwidthBytesPerSec;
    if (rate !== undefined) {
      // Store and forward: a chunk leaves once its last byte has passed the bottleneck.
      at = Math.max(at, this.bandwidthFreeAt) + (chunk.length / rate) * 1000;
      this.bandwidthFreeAt = at;
    }
    this.lastRelease = at;
    this.queue.push({ at, chunk });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER && !this.from.isPaused()) {
      this.from.pause();
      this.counters.pauses++;
    }
    this.flush();
  }

  /** When `at` falls inside a stall window, the window's end; else undefined. */
  private stallEndAt(at: number): number | undefined {
    const stall = this.faults.stall;
    if (!stall) return undefined;
    const into = at % stall.everyMs;
    return into < stall.forMs ? at - into + stall.forMs : undefined;
  }

  /** Writes every chunk that is due, and sets a timer for the next. */
  private flush(): void {
    if (this.blocked || this.to.destroyed) return;
    const now = this.clock();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { chunk } = this.queue.shift()!;
      this.queued -= chunk.length;
      if (!this.to.write(chunk)) {
        this.blocked = true;
        if (!this.from.isPaused()) {
          this.from.pause();
          this.counters.pauses++;
        }
        this.to.once('drain', () => {
          this.blocked = false;
          this.flush();
        });
        return;
      }
    }
    if (this.queued < LOW_WATER && this.from.isPaused()) this.from.resume();
    if (this.queue.length > 0) {
      if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, Math.max(0, this.queue[0]!.at - now));
      }
      return;
    }
    if (this.ended && !this.to.destroyed && !this.to.writableEnded) this.to.end();
  }

  /** Drops what waits (the connection is gone). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queue.length = 0;
    this.queued = 0;
  }
}
