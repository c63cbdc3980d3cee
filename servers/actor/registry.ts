/**
 * Model A, the connection-manager actor: one owner of the map, fed by a bounded mailbox
 * (capacity 1000), handling one message at a time. Sends are awaited inside the actor, so a full
 * client queue stalls the actor and its mailbox grows behind it: the behaviour under test.
 * Ids are assigned by the actor itself (Register replies with the id), the form the design note
 * calls correct. Echo is a SendToClient to the sender, so that both models look up the sender's
 * outbound through their coordination, as the mutex model's "lock, look up own sender" does.
 */
import { BoundedChannel } from '../common/bounded-channel.ts';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import type { Registry } from '../common/registry.ts';

export const DEFAULT_MAILBOX_CAPACITY = 1000;

type Mail =
  | { readonly kind: 'register'; readonly outbound: Outbound; readonly reply: (id: number) => void }
  | { readonly kind: 'unregister'; readonly id: number }
  | { readonly kind: 'broadcast'; readonly from: number; readonly frame: Frame }
  | { readonly kind: 'send-to'; readonly from: number; readonly to: number; readonly frame: Frame }
  | { readonly kind: 'size'; readonly reply: (size: number) => void };

export class ActorRegistry implements Registry {
  readonly model = 'actor';
  private readonly mailbox: BoundedChannel<Mail>;
  /** Owned by the actor loop; nothing else reads or writes it. */
  private readonly connections = new Map<number, Outbound>();
  private nextId = 1;

  constructor(mailboxCapacity = DEFAULT_MAILBOX_CAPACITY) {
    this.mailbox = new BoundedChannel<Mail>(mailboxCapacity);
    void this.run();
  }

  /** Messages waiting in the mailbox (for metrics and tests). */
  get mailboxDepth(): number {
    return this.mailbox.size + this.mailbox.waitingSenders;
  }

  register(outbound: Outbound): Promise<number> {
    return new Promise<number>((reply) => void this.mailbox.send({ kind: 'register', outbound, reply }));
  }

  unregister(id: number): Promise<void> {
    return this.mailbox.send({ kind: 'unregister', id });
  }

  echo(from: number, frame: Frame): Promise<void> {
    return this.mailbox.send({ kind: 'send-to', from, to: from, frame });
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    return this.mailbox.send({ kind: 'broadcast', from, frame });
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    return this.mailbox.send({ kind: 'send-to', from, to, frame });
  }

  size(): Promise<number> {
    return new Promise<number>((reply) => void this.mailbox.send({ kind: 'size', reply }));
  }

  close(): void {
    this.mailbox.close();
  }

  private async run(): Promise<void> {
    for (;;) {
      const mail = await this.mailbox.receive();
      if (mail === undefined) return;
      await this.handle(mail);
    }
  }

  private async handle(mail: Mail): Promise<void> {
    switch (mail.kind) {
      case 'register': {
        const id = this.nextId++;
        this.connections.set(id, mail.outbound);
        mail.reply(id);
        return;
      }
      case 'unregister':
        this.connections.delete(mail.id);
        return;
      case 'broadcast':
        for (const [id, outbound] of this.connections) {
          if (id !== mail.from) await outbound.send(mail.frame);
        }
        return;
      case 'send-to': {
        const target = this.connections.get(mail.to);
        if (target) await target.send(mail.frame);
        else await this.connections.get(mail.from)?.send(unknownClientFrame(mail.to));
        return;
      }
      case 'size':
        mail.reply(this.connections.size);
        return;
    }
  }
}
