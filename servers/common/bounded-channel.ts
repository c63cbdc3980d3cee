/**
 * A bounded FIFO channel with awaiting senders: the TypeScript stand-in for tokio's bounded mpsc
 * channel. `send` resolves once the item is in the channel; when the channel is full the sender
 * waits, in arrival order, for the consumer to take something. This is how backpressure travels
 * from a slow socket to whoever sends to it (the actor, or the task holding the mutex).
 */

/**
 * What `send` returns when the item went in at once. Callers on hot paths compare against it and
 * skip the `await` (a microtask hop), as a tokio send with free capacity completes without yielding.
 */
export const READY: Promise<void> = Promise.resolve();

interface WaitingSender<T> {
  readonly item: T;
  readonly admitted: () => void;
  readonly refused: (error: unknown) => void;
}

export class BoundedChannel<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private count = 0;
  private readonly waiting: WaitingSender<T>[] = [];
  private waitingHead = 0;
  private wakeConsumer: (() => void) | undefined;
  private closed = false;

  /** Called after an item lands in an empty channel, for consumers that pull synchronously. */
  onItem: (() => void) | undefined;
  /** Called each time a sender finds the channel full and has to wait (a metric hook). */
  onFull: (() => void) | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`channel capacity must be an integer >= 1, got ${capacity}`);
    this.ring = new Array<T | undefined>(capacity);
  }

  /** Items in the channel, not counting senders still waiting for room. */
  get size(): number {
    return this.count;
  }

  /** Senders waiting because the channel is full. */
  get waitingSenders(): number {
    return this.waiting.length - this.waitingHead;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Puts an item in the channel, waiting for room when full. On a closed channel the item is dropped. */
  send(item: T): Promise<void> {
    if (this.closed) return READY;
    if (this.count < this.capacity && this.waitingSenders === 0) {
      this.push(item);
      return READY;
    }
    this.onFull?.();
    return new Promise<void>((admitted, refused) => this.waiting.push({ item, admitted, refused }));
  }

  /** Puts an item in the channel only if there is room now; returns whether it did. */
  trySend(item: T): boolean {
    if (this.closed || this.count >= this.capacity || this.waitingSenders > 0) return false;
    this.push(item);
    return true;
  }

  /** Takes the oldest item, or undefined when empty. Admits the first waiting sender into the freed slot. */
  take(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.ring[this.head] as T;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.admitWaitingSender();
    return item;
  }

  /** Waits for an item; resolves undefined once the channel is closed and empty. */
  async receive(): Promise<T | undefined> {
    for (;;) {
      const item = this.take();
      if (item !== undefined || this.closed) return item;
      await this.itemArrived();
    }
  }

  /**
   * Settles when an item lands in the empty channel (or it closes). A consumer that awaits this
   * directly and then calls take() pays one microtask turn per wake-up, no more.
   */
  itemArrived(): Promise<void> {
    return new Promise<void>((wake) => (this.wakeConsumer = wake));
  }

  /**
   * Closes the channel: queued items are dropped (and returned), waiting senders are released —
   * or, given `error` (the receiver has failed, as when a tokio task's receiver is dropped),
   * refused with it.
   */
  close(error?: unknown): T[] {
    if (this.closed) return [];
    this.closed = true;
    const dropped: T[] = [];
    for (let i = 0; i < this.count; i++) dropped.push(this.ring[(this.head + i) % this.capacity] as T);
    this.ring.fill(undefined);
    this.count = 0;
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const sender = this.waiting[i]!;
      if (error === undefined) sender.admitted();
      else sender.refused(error);
    }
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.wake();
    return dropped;
  }

  private push(item: T): void {
    this.ring[(this.head + this.count) % this.capacity] = item;
    this.count++;
    if (this.count === 1) this.wake();
  }

  private admitWaitingSender(): void {
    if (this.waitingHead === this.waiting.length) return;
    const sender = this.waiting[this.waitingHead]!;
    this.waiting[this.waitingHead++] = undefined as unknown as WaitingSender<T>;
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    } else if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
      // Under sustained overload the list never empties: drop the admitted prefix now and then.
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    this.ring[(this.head + this.count) % this.capacity] = sender.item;
    this.count++;
    sender.admitted();
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    if (wake) {
      this.wakeConsumer = undefined;
      wake();
    }
    this.onItem?.();
  }
}
