/**
 * The baseline: a plain Map with no lock, no mailbox and no outbound queue (its clients get a
 * DirectOutbound). It does the same lookups and sends as the models and nothing else, so it is
 * the floor that ws itself costs; both models' overhead is measured against it.
 */
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import type { Registry } from '../common/registry.ts';

const RESOLVED: Promise<void> = Promise.resolve();

export class BaselineRegistry implements Registry {
  readonly model = 'baseline';
  private readonly connections = new Map<number, Outbound>();
  private nextId = 1;

  register(outbound: Outbound): Promise<number> {
    const id = this.nextId++;
    this.connections.set(id, outbound);
    return Promise.resolve(id);
  }

  unregister(id: number): Promise<void> {
    this.connections.delete(id);
    return RESOLVED;
  }

  echo(from: number, frame: Frame): Promise<void> {
    void this.connections.get(from)?.send(frame);
    return RESOLVED;
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    for (const [id, outbound] of this.connections) {
      if (id !== from) void outbound.send(frame);
    }
    return RESOLVED;
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    const target = this.connections.get(to);
    void (target ?? this.connections.get(from))?.send(target ? frame : unknownClientFrame(to));
    return RESOLVED;
  }

  size(): Promise<number> {
    return Promise.resolve(this.connections.size);
  }

  close(): void {}
}
