/**
 * Model B, the shared map behind a mutex, as the original does it: every operation locks the map,
 * and echo, send-to-client and broadcast hold the lock across their awaited sends, so a full
 * client queue keeps the lock held while every other task that needs the map waits. The lock is
 * FIFO and, like tokio's `Mutex`, taken at once when free: an operation that found the lock free
 * and every queue with room completes without a single microtask hop (it returns READY), as the
 * actor's post into a mailbox with room does. `lock=async-mutex` takes the map with the
 * `async-mutex` package instead (a promise chain on every acquire). Ids come from a second lock
 * around a counter, as in the original `nextId: Mutex<number>`.
 */
import { performance } from 'node:perf_hooks';
import { READY } from '../common/bounded-channel.ts';
import { unknownClientFrame } from '../common/errors.ts';
import { sendToAllBut } from '../common/fan-out.ts';
import { createLock, type LockKind, type RegistryLock } from '../common/fifo-lock.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import { encodeWelcome } from '../../common/protocol.ts';
import type { Registry } from '../common/registry.ts';
import type { MutexMetrics } from './metrics.ts';

type LockedOperation = 'register' | 'unregister' | 'echo' | 'broadcast' | 'send-to' | 'size';

export class MutexRegistry implements Registry {
  readonly model = 'mutex';
  private readonly connections = new Map<number, Outbound>();
  private readonly connectionsLock: RegistryLock;
  private nextId = 1;
  private readonly nextIdLock: RegistryLock;
  /** When the holder got the lock, when its hold is timed (only one holder at a time). */
  private lockedAt = 0;
  /** Counts acquisitions, to time one in metrics.sampleEvery. */
  private acquisitionCount = 0;

  constructor(
    private readonly metrics?: MutexMetrics,
    lock: LockKind = 'fifo',
  ) {
    this.connectionsLock = createLock(lock);
    this.nextIdLock = createLock(lock);
  }

  register(outbound: Outbound): Promise<number> {
    const takeId = (): number => {
      const id = this.nextId++;
      this.nextIdLock.release();
      return id;
    };
    const gotIdLock = this.nextIdLock.acquire();
    if (gotIdLock !== READY) return gotIdLock.then(() => this.welcomeAndAdd(takeId(), outbound));
    return this.welcomeAndAdd(takeId(), outbound);
  }

  unregister(id: number): Promise<void> {
    return this.locked('unregister', () => {
      this.connections.delete(id);
      return READY;
    });
  }

  echo(from: number, frame: Frame): Promise<void> {
    return this.locked('echo', () => this.connections.get(from)?.send(frame) ?? READY);
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    return this.locked('broadcast', () => sendToAllBut(this.connections.values(), this.connections.get(from), frame));
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    return this.locked('send-to', () => {
      const target = this.connections.get(to);
      return (target ? target.send(frame) : this.connections.get(from)?.send(unknownClientFrame(to))) ?? READY;
    });
  }

  size(): Promise<number> {
    let size = 0;
    return this.locked('size', () => {
      size = this.connections.size;
      return READY;
    }).then(() => size);
  }

  /** Nothing to stop: the lock has no task of its own. */
  close(): void {}

  private welcomeAndAdd(id: number, outbound: Outbound): Promise<number> {
    const add = (): Promise<number> =>
      this.locked('register', () => {
        this.connections.set(id, outbound);
        return READY;
      }).then(() => id);
    const welcomed = outbound.send(encodeWelcome(id));
    return welcomed === READY ? add() : welcomed.then(add);
  }

  /**
   * Runs `body` with the map locked and releases the lock once what it returned has settled
   * (awaited sends included). READY when the lock was free and `body` returned READY.
   */
  private locked(operation: LockedOperation, body: () => Promise<void>): Promise<void> {
    const acquired = this.acquire(operation);
    return acquired === READY ? this.holding(operation, body) : acquired.then(() => this.holding(operation, body));
  }

  private holding(operation: LockedOperation, body: () => Promise<void>): Promise<void> {
    let done: Promise<void>;
    try {
      done = body();
    } catch (error) {
      this.release(operation);
      return Promise.reject(error); // a failure is a rejected operation, as the Registry contract says
    }
    if (done === READY) {
      this.release(operation);
      return READY;
    }
    return done.then(
      () => this.release(operation),
      (error: unknown) => {
        this.release(operation);
        throw error;
      },
    );
  }

  /** Takes the map's lock, counting waiters (always) and timing the wait (sampled) when instrumented. */
  private acquire(operation: LockedOperation): Promise<void> {
    const metrics = this.metrics;
    if (!metrics?.recording) {
      const acquired = this.connectionsLock.acquire();
      if (acquired !== READY) return acquired.then(() => void (this.lockedAt = 0));
      this.lockedAt = 0;
      return READY;
    }
    // Only a call that finds the lock taken really waits.
    const waits = this.connectionsLock.isLocked;
    metrics.acquired(operation, waits);
    const askedAt = ++this.acquisitionCount % metrics.sampleEvery === 0 ? performance.now() : 0;
    const acquired = this.connectionsLock.acquire();
    if (acquired === READY) {
      this.gotLock(operation, waits, askedAt);
      return READY;
    }
    return acquired.then(() => this.gotLock(operation, waits, askedAt));
  }

  private gotLock(operation: LockedOperation, waited: boolean, askedAt: number): void {
    const metrics = this.metrics!;
    if (waited) metrics.waiters--;
    if (askedAt === 0) {
      this.lockedAt = 0;
      return;
    }
    this.lockedAt = performance.now();
    metrics.lockWait.recordMs(operation, this.lockedAt - askedAt);
  }

  private release(operation: LockedOperation): void {
    if (this.lockedAt > 0) this.metrics?.lockHold.recordMs(operation, performance.now() - this.lockedAt);
    this.lockedAt = 0;
    this.connectionsLock.release();
  }
}
