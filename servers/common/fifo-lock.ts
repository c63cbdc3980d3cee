/**
 * The locks the mutex model can take its registry with. Both are fair (first come, first served)
 * and both are held across awaited sends; they differ in what an uncontended acquire costs:
 * - FifoLock, like tokio's `Mutex`: a free lock is taken at once (`acquire` returns READY, no
 *   microtask hop), and `release` hands the lock straight to the next waiter.
 * - AsyncMutexLock, the `async-mutex` package: every acquire is a promise chain, even on a free
 *   lock. Kept as the `lock=async-mutex` variant so that what the library costs stays measurable.
 */
import { Mutex, type MutexInterface } from 'async-mutex';
import { READY } from './bounded-channel.ts';

export interface RegistryLock {
  /** READY when the lock was free and is now held; otherwise settles once it is this caller's turn. */
  acquire(): Promise<void>;
  release(): void;
  readonly isLocked: boolean;
}

export class FifoLock implements RegistryLock {
  private held = false;
  private readonly waiters: (() => void)[] = [];
  private head = 0;

  get isLocked(): boolean {
    return this.held;
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return READY;
    }
    return new Promise<void>((turn) => this.waiters.push(turn));
  }

  release(): void {
    if (this.head === this.waiters.length) {
      this.held = false;
      return;
    }
    const next = this.waiters[this.head]!;
    this.waiters[this.head++] = undefined as unknown as () => void;
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    }
    next(); // the lock stays held: it passes to the next waiter, who cannot lose its turn
  }
}

export class AsyncMutexLock implements RegistryLock {
  private readonly mutex = new Mutex();
  private releaser: MutexInterface.Releaser | undefined;

  get isLocked(): boolean {
    return this.mutex.isLocked();
  }

  acquire(): Promise<void> {
    return this.mutex.acquire().then((release) => void (this.releaser = release));
  }

  release(): void {
    const release = this.releaser;
    this.releaser = undefined;
    release?.();
  }
}

export const LOCK_KINDS = ['fifo', 'async-mutex'] as const;
export type LockKind = (typeof LOCK_KINDS)[number];

export function createLock(kind: LockKind): RegistryLock {
  return kind === 'async-mutex' ? new AsyncMutexLock() : new FifoLock();
}
