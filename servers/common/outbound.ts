/**
 * A connection's outbound side. Everyone who sends to a client goes through its Outbound.
 * - OutboundQueue (every model): the original's bounded channel (capacity 100) drained by a
 *   writer into the socket; when the socket's buffer passes its high-water mark the writer waits
 *   for it to flush, the queue fills, and senders wait: backpressure reaches them. Unless the
 *   slow-consumer policy says otherwise: `drop` drops the frame, `disconnect` drops it and closes
 *   a client whose queue has stayed full for longer than its timeout (1008).
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { BoundedChannel, READY } from './bounded-channel.ts';
import { AWAIT_POLICY, type PolicyCounters, type SlowConsumerPolicy } from './slow-consumer-policy.ts';

export { READY };

/** A frame on its way to a client: bytes relayed untouched, or a server-made string. */
export type Frame = Buffer | string;

export interface Outbound {
  /**
   * Resolves when the frame is accepted for delivery (queued), not when it reaches the client.
   * Returns READY itself when it was accepted at once, so hot paths can skip the await.
   */
  send(frame: Frame): Promise<void>;
  /** Stops delivery; later sends are dropped and waiting senders are released. */
  close(): void;
}

const TEXT_FRAME = { binary: false } as const;

export const DEFAULT_OUTBOUND_CAPACITY = 100;
/** Bytes the socket may hold unflushed before the writer waits (Node's default for net sockets). */
export const DEFAULT_WRITE_HIGH_WATER_MARK = 16 * 1024;

/** The optional parts of an OutboundQueue: metric hooks and the slow-consumer policy. */
export interface OutboundQueueOptions {
  readonly capacity?: number;
  readonly highWaterMark?: number;
  /** Called when a send finds the queue full (counted as an outbound-queue-full event). */
  readonly onFull?: () => void;
  readonly policy?: SlowConsumerPolicy;
  /** Where drops and disconnects by the policy are counted. */
  readonly policyCounters?: PolicyCounters;
}

export class OutboundQueue implements Outbound {
  private readonly channel: BoundedChannel<Frame>;
  private readonly highWaterMark: number;
  private readonly policy: SlowConsumerPolicy;
  private readonly counters: PolicyCounters | undefined;
  private readonly onFull: (() => void) | undefined;
  private waitingForFlush = false;
  /** When the queue was first found full with nothing taken since (disconnect policy), else 0. */
  private fullSince = 0;
  /** Fires when the queue may have stayed full for the timeout, though no send came to find it so. */
  private fullTimer: NodeJS.Timeout | undefined;
  private closedByPolicy = false;

  constructor(
    private readonly ws: WebSocket,
    options: OutboundQueueOptions = {},
  ) {
    this.channel = new BoundedChannel<Frame>(options.capacity ?? DEFAULT_OUTBOUND_CAPACITY);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_WRITE_HIGH_WATER_MARK;
    this.policy = options.policy ?? AWAIT_POLICY;
    this.counters = options.policyCounters;
    this.onFull = options.onFull;
    this.channel.onItem = this.write;
    if (this.policy.kind === 'await') this.channel.onFull = options.onFull;
  }

  /** Frames waiting in the queue (for metrics and tests). */
  get queued(): number {
    return this.channel.size;
  }

  /** Senders waiting because the queue is full. */
  get waitingSenders(): number {
    return this.channel.waitingSenders;
  }

  send(frame: Frame): Promise<void> {
    if (this.policy.kind === 'await') return this.channel.send(frame);
    if (this.channel.trySend(frame)) return READY;
    if (this.closedByPolicy) {
      this.dropped(1);
      return READY;
    }
    if (this.channel.isClosed) return READY; // the client left: nothing to deliver to
    this.onFull?.();
    this.dropped(1);
    if (this.policy.kind === 'disconnect') {
      const now = performance.now();
      if (this.fullSince === 0) {
        this.fullSince = now;
        this.armFullTimer(this.policy.timeoutMs);
      } else if (now - this.fullSince > this.policy.timeoutMs) this.disconnect();
    }
    return READY;
  }

  close(): void {
    clearTimeout(this.fullTimer);
    this.channel.close();
  }

  /**
   * The timeout is checked by a timer as well as by sends: a client whose queue filled with the
   * last frames anyone sent it would otherwise never be found full again, and never closed.
   */
  private armFullTimer(delayMs: number): void {
    if (this.fullTimer !== undefined || this.policy.kind !== 'disconnect') return;
    const timeoutMs = this.policy.timeoutMs;
    this.fullTimer = setTimeout(() => {
      this.fullTimer = undefined;
      if (this.fullSince === 0 || this.closedByPolicy || this.channel.isClosed) return;
      const fullFor = performance.now() - this.fullSince;
      if (fullFor > timeoutMs) this.disconnect();
      else this.armFullTimer(timeoutMs - fullFor + 1);
    }, delayMs + 1);
    this.fullTimer.unref();
  }

  private dropped(frames: number): void {
    if (this.counters) this.counters.dropped += frames;
  }

  /** Closes a client that stopped taking frames: what it never got is counted as dropped. */
  private disconnect(): void {
    clearTimeout(this.fullTimer);
    this.closedByPolicy = true;
    this.dropped(this.channel.size);
    this.channel.close();
    if (this.counters) this.counters.disconnected++;
    this.ws.close(1008, 'slow consumer: outbound queue full');
  }

  /** The writer: drains the queue into the socket until the socket's buffer is full. */
  private readonly write = (): void => {
    while (!this.waitingForFlush) {
      const frame = this.channel.take();
      if (frame === undefined) return;
      this.fullSince = 0;
      if (this.ws.bufferedAmount + frame.length >= this.highWaterMark) {
        this.waitingForFlush = true;
        this.ws.send(frame, TEXT_FRAME, this.flushed);
      } else {
        this.ws.send(frame, TEXT_FRAME);
      }
    }
  };

  private readonly flushed = (error?: Error): void => {
    this.waitingForFlush = false;
    if (error) this.channel.close();
    else this.write();
  };
}
