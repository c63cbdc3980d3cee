/**
 * Model B, the shared map behind an async mutex, as the original does it: every operation locks
 * the map, and echo, send-to-client and broadcast hold the lock across their awaited sends, so a
 * full client queue keeps the lock held while every other task that needs the map waits.
 * async-mutex queues waiters first in, first out, like tokio's fair Mutex. Ids come from a second
 * mutex around a counter, as in the original `nextId: Mutex<number>`.
 */
import { performance } from 'node:perf_hooks';
import { Mutex, type MutexInterface } from 'async-mutex';
import type { MutexMetrics } from './metrics.ts';
import { READY } from '../common/bounded-channel.ts';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import { encodeWelcome } from '../../common/protocol.ts';
import type { Registry } from '../common/registry.ts';

type LockedOperation = 'register' | 'unregister' | 'echo' | 'broadcast' | 'send-to' | 'size';

export class MutexRegistry implements Registry {
  readonly model = 'mutex';
  private readonly connections = new Map<number, Outbound>();
  private readonly connectionsLock = new Mutex();
  private nextId = 1;
  private readonly nextIdLock = new Mutex();
  /** The holder's releaser and when it got the lock (only one holder at a time). */
  private releaseLock: MutexInterface.Releaser | undefined;
  private lockedAt = 0;

  constructor(private readonly metrics?: MutexMetrics) {}

  /** Counts acquisitions, to time one in metrics.sampleEvery. */
  private acquisitionCount = 0;

  /** Takes the map's lock, counting waiters (always) and timing the wait (sampled) when instrumented. */
  private async lock(operation: LockedOperation): Promise<void> {
    const metrics = this.metrics;
    if (!metrics?.recording) {
      this.releaseLock = await this.connectionsLock.acquire();
      this.lockedAt = 0;
      return;
    }
    // async-mutex hands a free lock over at once: only a call that finds it taken really waits.
    const waits = this.connectionsLock.isLocked();
    metrics.acquired(operation, waits);
    const timed = ++this.acquisitionCount % metrics.sampleEvery === 0;
    const askedAt = timed ? performance.now() : 0;
    const release = await this.connectionsLock.acquire();
    if (waits) metrics.waiters--;
    this.releaseLock = release;
    if (timed) {
      this.lockedAt = performance.now();
      metrics.lockWait.recordMs(operation, this.lockedAt - askedAt);
    } else {
      this.lockedAt = 0;
    }
  }

  private unlock(operation: LockedOperation): void {
    const release = this.releaseLock!;
    this.releaseLock = undefined;
    if (this.lockedAt > 0) this.metrics?.lockHold.recordMs(operation, performance.now() - this.lockedAt);
    release();
  }

  async register(outbound: Outbound): Promise<number> {
    const id = await this.nextIdLock.runExclusive(() => this.nextId++);
    const welcomed = outbound.send(encodeWelcome(id));
    if (welcomed !== READY) await welcomed;
    await this.lock('register');
    try {
      this.connections.set(id, outbound);
    } finally {
      this.unlock('register');
    }
    return id;
  }

  async unregister(id: number): Promise<void> {
    await this.lock('unregister');
    try {
      this.connections.delete(id);
    } finally {
      this.unlock('unregister');
    }
  }

  async echo(from: number, frame: Frame): Promise<void> {
    await this.lock('echo');
    try {
      const sent = this.connections.get(from)?.send(frame);
      if (sent !== undefined && sent !== READY) await sent;
    } finally {
      this.unlock('echo');
    }
  }

  async broadcast(from: number, frame: Frame): Promise<void> {
    await this.lock('broadcast');
    try {
      const sender = this.connections.get(from);
      for (const outbound of this.connections.values()) {
        if (outbound === sender) continue;
        const sent = outbound.send(frame);
        if (sent !== READY) await sent;
      }
    } finally {
      this.unlock('broadcast');
    }
  }

  async sendTo(from: number, to: number, frame: Frame): Promise<void> {
    await this.lock('send-to');
    try {
      const target = this.connections.get(to);
      const sent = target ? target.send(frame) : this.connections.get(from)?.send(unknownClientFrame(to));
      if (sent !== undefined && sent !== READY) await sent;
    } finally {
      this.unlock('send-to');
    }
  }

  async size(): Promise<number> {
    await this.lock('size');
    try {
      return this.connections.size;
    } finally {
      this.unlock('size');
    }
  }

  /** Nothing to stop: the lock has no task of its own. */
  close(): void {}
}
