/**
 * Model B, the shared map behind an async mutex, as the original does it: every operation locks
 * the map, and echo, send-to-client and broadcast hold the lock across their awaited sends, so a
 * full client queue keeps the lock held while every other task that needs the map waits.
 * async-mutex queues waiters first in, first out, like tokio's fair Mutex. Ids come from a second
 * mutex around a counter, as in the original `nextId: Mutex<number>`.
 */
import { Mutex } from 'async-mutex';
import { READY } from '../common/bounded-channel.ts';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import { welcomeFrame, type Registry } from '../common/registry.ts';

export class MutexRegistry implements Registry {
  readonly model = 'mutex';
  private readonly connections = new Map<number, Outbound>();
  private readonly connectionsLock = new Mutex();
  private nextId = 1;
  private readonly nextIdLock = new Mutex();

  async register(outbound: Outbound): Promise<number> {
    const id = await this.nextIdLock.runExclusive(() => this.nextId++);
    const welcomed = outbound.send(welcomeFrame(id));
    if (welcomed !== READY) await welcomed;
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
      const sent = this.connections.get(from)?.send(frame);
      if (sent !== undefined && sent !== READY) await sent;
    } finally {
      release();
    }
  }

  async broadcast(from: number, frame: Frame): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      const sender = this.connections.get(from);
      for (const outbound of this.connections.values()) {
        if (outbound === sender) continue;
        const sent = outbound.send(frame);
        if (sent !== READY) await sent;
      }
    } finally {
      release();
    }
  }

  async sendTo(from: number, to: number, frame: Frame): Promise<void> {
    const release = await this.connectionsLock.acquire();
    try {
      const target = this.connections.get(to);
      const sent = target ? target.send(frame) : this.connections.get(from)?.send(unknownClientFrame(to));
      if (sent !== undefined && sent !== READY) await sent;
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
