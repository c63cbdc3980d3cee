/**
 * The baseline: a plain Map with no lock, no mailbox and no outbound queue (its clients get a
 * DirectOutbound). It does the same lookups and sends as the models and nothing else, so it is
 * the floor that ws itself costs; both models' overhead is measured against it.
 */
import { READY } from '../common/bounded-channel.ts';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import { encodeWelcome } from '../../common/protocol.ts';
import type { Registry } from '../common/registry.ts';

export class BaselineRegistry implements Registry {
  readonly model = 'baseline';
  private readonly connections = new Map<number, Outbound>();
  private nextId = 1;

  register(outbound: Outbound): Promise<number> {
    const id = this.nextId++;
    void outbound.send(encodeWelcome(id));
    this.connections.set(id, outbound);
    return Promise.resolve(id);
  }

  unregister(id: number): Promise<void> {
    this.connections.delete(id);
    return READY;
  }

  echo(from: number, frame: Frame): Promise<void> {
    void this.connections.get(from)?.send(frame);
    return READY;
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    const sender = this.connections.get(from);
    for (const outbound of this.connections.values()) {
      if (outbound !== sender) void outbound.send(frame);
    }
    return READY;
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    const target = this.connections.get(to);
    if (target) void target.send(frame);
    else void this.connections.get(from)?.send(unknownClientFrame(to));
    return READY;
  }

  size(): Promise<number> {
    return Promise.resolve(this.connections.size);
  }

  close(): void {}
}
