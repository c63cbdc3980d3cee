/**
 * Model B, the shared map behind an async mutex, as the original does it: every operation locks
 * the map, and echo, send-to-client and broadcast hold the lock across their awaited sends, so a
 * full client queue keeps the lock held while every other task that needs the map waits.
 * async-mutex queues waiters first in, first out, like tokio's fair Mutex. Ids come from a second
 * mutex around a counter, as in the original `nextId: Mutex<number>`.
 */
import { Mutex } from 'async-mutex';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import type { Registry } from '../common/registry.ts';

export class MutexRegistry implements Registry {
  readonly model = 'mutex';
  private readonly connections = new Map<number, Outbound>();
  private readonly connectionsLock = new Mutex();
  private nextId = 1;
  private readonly nextIdLock = new Mutex();

  async register(outbound: Outbound): Promise<number> {
    const id = await this.nextIdLock.runExclusive(() => this.nextId++);
    const release = await this.connectionsLock.acquire();
    try {
      this.connections.set(id, outbound);
    } finally {
      release();
    }
    return id;
  }

  async unregister(id: number): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      this.connections.delete(id);
    } finally {
      release();
    }
  }

  async echo(from: number, frame: Frame): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      await this.connections.get(from)?.send(frame);
    } finally {
      release();
    }
  }

  async broadcast(from: number, frame: Frame): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      for (const [id, outbound] of this.connections) {
        if (id !== from) await outbound.send(frame);
      }
    } finally {
      release();
    }
  }

  async sendTo(from: number, to: number, frame: Frame): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      const target = this.connections.get(to);
      if (target) await target.send(frame);
      else await this.connections.get(from)?.send(unknownClientFrame(to));
    } finally {
      release();
    }
  }

  async size(): Promise<number> {
    const release = await this.connectionsLock.acquire();
    try {
      return this.connections.size;
    } finally {
      release();
    }
  }

  /** Nothing to stop: the lock has no task of its own. */
  close(): void {}
}
