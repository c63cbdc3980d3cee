/**
 * The baseline: a plain Map with no lock and no mailbox, and the same bounded outbound queue as
 * the models. It does the same lookups and sends as the models and coordinates nothing: a send
 * to a full queue is awaited only by the connection whose frame it is (a broadcast waits for all
 * its full queues at once), never by anyone else. So the models' overhead against it is their
 * coordination alone, not a different queue.
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
    const welcomed = outbound.send(encodeWelcome(id));
    const add = (): number => {
      this.connections.set(id, outbound);
      return id;
    };
    return welcomed === READY ? Promise.resolve(add()) : welcomed.then(add);
  }

  unregister(id: number): Promise<void> {
    this.connections.delete(id);
    return READY;
  }

  echo(from: number, frame: Frame): Promise<void> {
    return this.connections.get(from)?.send(frame) ?? READY;
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    const sender = this.connections.get(from);
    let waiting: Promise<void>[] | undefined;
    for (const outbound of this.connections.values()) {
      if (outbound === sender) continue;
      const sent = outbound.send(frame);
      if (sent !== READY) (waiting ??= []).push(sent);
    }
    return waiting ? Promise.all(waiting).then(() => undefined) : READY;
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    const target = this.connections.get(to);
    return (target ? target.send(frame) : this.connections.get(from)?.send(unknownClientFrame(to))) ?? READY;
  }

  size(): Promise<number> {
    return Promise.resolve(this.connections.size);
  }

  close(): void {}
}
