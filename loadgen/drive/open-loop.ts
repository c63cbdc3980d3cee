/**
 * Open loop (default): probes go out on a fixed schedule (message k at start + k/rate), whatever
 * the replies, and each probe carries its *scheduled* send time, so a stalled server shows in the
 * latency tail instead of slowing the senders down (no coordinated omission, as wrk2 does it).
 * Each traffic phase runs on its own schedule; a publisher, when the scenario has one, streams on
 * its own alongside.
 */
import { nowNs } from '../clock.ts';
import type { DriverContext, TrafficDriver } from './driver.ts';
import { sleepUntil } from './sleep.ts';
import { kindPicker, pickAtRandom, pickInTurn, sendOnSchedule } from './traffic.ts';

export class OpenLoopDriver implements TrafficDriver {
  private readonly pickKind: () => ReturnType<ReturnType<typeof kindPicker>>;
  private turn = 0;

  constructor(private readonly c: DriverContext) {
    this.pickKind = kindPicker(c.plan.mix, c.random);
  }

  /** Warm-up at the first phase's rate. */
  async warmUp(startNs: number, endNs: number): Promise<void> {
    if (endNs > startNs) await onSchedule(this.c.phases[0]!.rate, startNs, endNs, this.sendMix, this.c.signal);
  }

  async measure(startNs: number, endNs: number, phaseBegins: (atNs: number) => void): Promise<void> {
    phaseBegins(startNs); // before the publisher's first probes
    const publisher = this.c.plan.behaviours?.publisher;
    const publishing = publisher ? onSchedule(1000 / publisher.everyMs, startNs, endNs, (due) => this.publish(due), this.c.signal) : undefined;
    let phaseStart = startNs;
    for (const [i, phase] of this.c.phases.entries()) {
      if (this.c.signal?.aborted) break;
      const phaseEnd = Math.min(phaseStart + phase.durationMs * 1e6, endNs);
      if (i > 0) phaseBegins(phaseStart);
      await onSchedule(phase.rate, phaseStart, phaseEnd, this.sendMix, this.c.signal);
      phaseStart = phaseEnd;
    }
    await publishing;
  }

  replied(): void {}

  stop(): void {}

  /** One message of the mix, due at scheduledNs. */
  private readonly sendMix = (scheduledNs: number, lateNs: number): void => {
    this.c.sendLag(lateNs);
    const kind = this.pickKind();
    const senders = this.c.pool.roles.senders;
    // Echoes go round-robin, so each client sends an even share; other kinds come from random clients.
    const client = kind === 'echo' ? pickInTurn(senders, this.turn++) : pickAtRandom(senders, this.c.random);
    if (client) this.c.sender.send(client, kind, scheduledNs);
  };

  private publish(scheduledNs: number): void {
    const publisher = this.c.plan.behaviours?.publisher;
    const { roles } = this.c.pool;
    const from = roles.publisher;
    if (!publisher || !from?.open) return;
    if (publisher.kind === 'broadcast') this.c.sender.send(from, 'broadcast', scheduledNs, publisher.bytes);
    else for (const target of roles.stopped) this.c.sender.send(from, 'send-to', scheduledNs, publisher.bytes, target);
  }
}

/** Sends on a schedule; a phase at rate 0 just waits out its time. */
function onSchedule(rate: number, start: number, end: number, send: (scheduledNs: number, lateNs: number) => void, signal: AbortSignal | undefined): Promise<void> {
  if (rate <= 0) return sleepUntil(end, signal);
  return sendOnSchedule(rate, start, end, nowNs, (_k, due, late) => send(due, late), signal);
}
