/**
 * Model A, the connection-manager actor: one owner of the map, fed by a bounded mailbox
 * (capacity 1000), handling one message at a time. Sends are awaited inside the actor, so a full
 * client queue stalls the actor and its mailbox grows behind it: the behaviour under test.
 * Ids are assigned by the actor itself (Register replies with the id), the form the design note
 * calls correct. Echo is a SendToClient to the sender, so that both models look up the sender's
 * outbound through their coordination, as the mutex model's "lock, look up own sender" does.
 */
import { performance } from 'node:perf_hooks';
import { BoundedChannel, READY } from '../common/bounded-channel.ts';
import { sendToAllBut } from '../common/fan-out.ts';
import type { ActorMetrics } from './metrics.ts';
import { unknownClientFrame } from '../common/errors.ts';
import type { Frame, Outbound } from '../common/outbound.ts';
import { encodeWelcome } from '../../common/protocol.ts';
import type { Registry } from '../common/registry.ts';

export const DEFAULT_MAILBOX_CAPACITY = 1000;

/** A message to the actor; `postedAt` (performance.now() for a timed message, else 0) times its wait. */
type Mail = { readonly postedAt: number } & (
  | { readonly kind: 'register'; readonly outbound: Outbound; readonly reply: (id: number) => void; readonly fail: (error: unknown) => void }
  | { readonly kind: 'unregister'; readonly id: number }
  | { readonly kind: 'broadcast'; readonly from: number; readonly frame: Frame }
  | { readonly kind: 'send-to'; readonly from: number; readonly to: number; readonly frame: Frame }
  | { readonly kind: 'size'; readonly reply: (size: number) => void; readonly fail: (error: unknown) => void }
);

const stopped = (cause?: unknown): Error =>
  Object.assign(new Error(`the actor has stopped${cause instanceof Error ? `: ${cause.message}` : ''}`), { code: 'ERR_ACTOR_STOPPED' });

export class ActorRegistry implements Registry {
  readonly model = 'actor';
  private readonly mailbox: BoundedChannel<Mail>;
  /** Owned by the actor loop; nothing else reads or writes it. */
  private readonly connections = new Map<number, Outbound>();
  private nextId = 1;

  /** Counts posts, to time one message in metrics.sampleEvery. */
  private postCount = 0;

  /** Set once the loop has ended on a failure (unsupervised): every later operation fails. */
  private failure: unknown;

  constructor(
    private readonly metrics?: ActorMetrics,
    /** `resume`: a supervisor drops the message whose handling failed and the actor goes on, its state kept. */
    private readonly supervision: 'none' | 'resume' = 'none',
    mailboxCapacity = DEFAULT_MAILBOX_CAPACITY,
  ) {
    this.mailbox = new BoundedChannel<Mail>(mailboxCapacity);
    void this.run();
  }

  /** Messages waiting in the mailbox, and senders waiting for room in it. */
  get mailboxDepth(): number {
    return this.mailbox.size + this.mailbox.waitingSenders;
  }

  register(outbound: Outbound): Promise<number> {
    if (this.mailbox.isClosed) return Promise.reject(stopped(this.failure));
    return new Promise<number>((reply, fail) => this.post({ kind: 'register', outbound, reply, fail, postedAt: this.now() }).catch(fail));
  }

  unregister(id: number): Promise<void> {
    return this.post({ kind: 'unregister', id, postedAt: this.now() });
  }

  echo(from: number, frame: Frame): Promise<void> {
    return this.post({ kind: 'send-to', from, to: from, frame, postedAt: this.now() });
  }

  broadcast(from: number, frame: Frame): Promise<void> {
    return this.post({ kind: 'broadcast', from, frame, postedAt: this.now() });
  }

  sendTo(from: number, to: number, frame: Frame): Promise<void> {
    return this.post({ kind: 'send-to', from, to, frame, postedAt: this.now() });
  }

  size(): Promise<number> {
    if (this.mailbox.isClosed) return Promise.reject(stopped(this.failure));
    return new Promise<number>((reply, fail) => this.post({ kind: 'size', reply, fail, postedAt: this.now() }).catch(fail));
  }

  /** The post time of a message that will be timed, else 0 (most messages: no clock read). */
  private now(): number {
    return this.metrics?.recording && ++this.postCount % this.metrics.sampleEvery === 0 ? performance.now() : 0;
  }

  private post(mail: Mail): Promise<void> {
    // The actor's task has ended: like a send on a channel whose receiver is gone, every post fails.
    if (this.mailbox.isClosed) return Promise.reject(stopped(this.failure));
    const posted = this.mailbox.send(mail);
    if (this.metrics?.recording) this.metrics.observeDepth(this.mailboxDepth);
    return posted;
  }

  close(): void {
    this.mailbox.close();
  }

  /**
   * The actor's task: one message at a time. A handler that throws ends it, as a panic ends a
   * tokio task: the mailbox closes (its receiver is gone) and every later operation fails. A
   * supervised actor (`supervision=resume`) drops that message instead and goes on.
   */
  private async run(): Promise<void> {
    for (;;) {
      const mail = this.mailbox.take();
      if (mail === undefined) {
        if (this.mailbox.isClosed) return;
        await this.mailbox.itemArrived(); // the mailbox hop: one microtask turn per wake-up
        continue;
      }
      try {
        const handled = this.handleTimed(mail);
        if (handled !== READY) await handled; // no hop when nothing waited
      } catch (error) {
        if (this.supervision === 'resume') continue;
        this.stop(error);
        return;
      }
    }
  }

  /**
   * The task has ended on `error`: its receiver is gone. Senders waiting for room are refused,
   * queued registrations and size requests fail (their reply will never come), and every later
   * operation fails at once.
   */
  private stop(error: unknown): void {
    this.failure = error;
    for (const mail of this.mailbox.close(stopped(error))) {
      if (mail.kind === 'register' || mail.kind === 'size') mail.fail(stopped(error));
    }
  }

  /** Handles one message, timing it when it is one of the sampled ones; READY when nothing waited. */
  private handleTimed(mail: Mail): Promise<void> {
    const metrics = this.metrics;
    if (!metrics?.recording) return this.handle(mail);
    metrics.countHandled(mail.kind);
    if (mail.postedAt === 0) return this.handle(mail);
    const takenAt = performance.now();
    metrics.mailboxWait.recordMs(mail.kind, takenAt - mail.postedAt);
    const handled = this.handle(mail);
    if (handled === READY) {
      metrics.handling.recordMs(mail.kind, performance.now() - takenAt);
      return READY;
    }
    return handled.then(() => metrics.handling.recordMs(mail.kind, performance.now() - takenAt));
  }

  /**
   * Handles one message. Returns READY when every send went straight into a queue, or a promise
   * that settles once a waiting send got through: the loop awaits it, so a full client queue
   * stalls the actor.
   */
  private handle(mail: Mail): Promise<void> {
    switch (mail.kind) {
      case 'register': {
        const id = this.nextId++;
        const welcomed = mail.outbound.send(encodeWelcome(id));
        if (welcomed !== READY) return welcomed.then(() => this.admit(id, mail.outbound, mail.reply));
        this.admit(id, mail.outbound, mail.reply);
        return READY;
      }
      case 'unregister':
        this.connections.delete(mail.id);
        return READY;
      case 'broadcast':
        return sendToAllBut(this.connections.values(), this.connections.get(mail.from), mail.frame);
      case 'send-to': {
        const target = this.connections.get(mail.to);
        if (target) return target.send(mail.frame);
        return this.connections.get(mail.from)?.send(unknownClientFrame(mail.to)) ?? READY;
      }
      case 'size':
        mail.reply(this.connections.size);
        return READY;
    }
  }

  private admit(id: number, outbound: Outbound, reply: (id: number) => void): void {
    this.connections.set(id, outbound);
    reply(id);
  }
}
