/**
 * Closed loop: each sending client keeps `inFlight` echoes outstanding and sends the next on each
 * reply. It finds the maximum throughput; its latency is measured from the actual send.
 */
import { nowNs } from '../clock.ts';
import type { LoadClient } from './connect.ts';
import type { DriverContext, TrafficDriver } from './driver.ts';
import { sleepUntil } from './sleep.ts';

export class ClosedLoopDriver implements TrafficDriver {
  private sending = false;
  private primed = false;

  constructor(
    private readonly c: DriverContext,
    private readonly inFlight: number,
  ) {}

  async warmUp(startNs: number, endNs: number): Promise<void> {
    if (endNs <= startNs) return;
    this.prime();
    await sleepUntil(endNs, this.c.signal);
  }

  async measure(startNs: number, endNs: number, phaseBegins: (atNs: number) => void): Promise<void> {
    phaseBegins(startNs);
    if (!this.primed) this.prime();
    await sleepUntil(endNs, this.c.signal);
  }

  replied(client: LoadClient, nowNs: number): void {
    if (this.sending && client.open) this.c.sender.send(client, 'echo', nowNs);
  }

  stop(): void {
    this.sending = false;
  }

  /** Puts `inFlight` echoes in flight from every sender. */
  private prime(): void {
    this.sending = true;
    this.primed = true;
    for (const client of this.c.pool.roles.senders) {
      for (let i = 0; i < this.inFlight && client.open; i++) this.c.sender.send(client, 'echo', nowNs());
    }
  }
}
