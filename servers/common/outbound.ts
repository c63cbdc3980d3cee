/**
 * A connection's outbound side. Everyone who sends to a client goes through its Outbound.
 * - OutboundQueue (actor, mutex): the original's bounded channel (capacity 100) drained by a
 *   writer into the socket; when the socket's buffer passes its high-water mark the writer waits
 *   for it to flush, the queue fills, and senders wait: backpressure reaches them.
 * - DirectOutbound (baseline): straight into ws, no queue, no waiting; ws buffers without bound.
 */
import type { WebSocket } from 'ws';
import { BoundedChannel, READY } from './bounded-channel.ts';

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

export class OutboundQueue implements Outbound {
  private readonly channel: BoundedChannel<Frame>;
  private waitingForFlush = false;

  constructor(
    private readonly ws: WebSocket,
    capacity = DEFAULT_OUTBOUND_CAPACITY,
    private readonly highWaterMark = DEFAULT_WRITE_HIGH_WATER_MARK,
    /** Called when a send finds the queue full (counted as an outbound-queue-full event). */
    onFull?: () => void,
  ) {
    this.channel = new BoundedChannel<Frame>(capacity);
    this.channel.onItem = this.write;
    this.channel.onFull = onFull;
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
    return this.channel.send(frame);
  }

  close(): void {
    this.channel.close();
  }

  /** The writer: drains the queue into the socket until the socket's buffer is full. */
  private readonly write = (): void => {
    while (!this.waitingForFlush) {
      const frame = this.channel.take();
      if (frame === undefined) return;
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

export class DirectOutbound implements Outbound {
  private closed = false;
  constructor(private readonly ws: WebSocket) {}

  send(frame: Frame): Promise<void> {
    if (!this.closed) this.ws.send(frame, TEXT_FRAME);
    return READY;
  }

  close(): void {
    this.closed = true;
  }
}
