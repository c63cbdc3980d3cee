/** Everything a run counts, in one object (never loose variables), with histograms from the one module. */
import { createLatencyHistogram, type Histogram } from '../common/histogram.ts';
import type { ProbeKind } from '../common/protocol.ts';

export class RunCounters {
  /** Probes sent. */
  sent = 0;
  /** Deliveries the sends call for: 1 per echo or send-to, (open clients - 1) per broadcast. */
  expected = 0;
  /** Probes received (echoes and deliveries, extra ones included). */
  received = 0;
  /** Frames that were neither a probe nor a control frame. */
  unexpected = 0;
  /** hrtime (ns) of the last probe received, for the receive rate. */
  lastReceiveNs = 0;
  /** Every measured delivery. */
  readonly latency: Histogram = createLatencyHistogram();
  /** The same, by the probe's kind. */
  readonly latencyByKind: Record<ProbeKind, Histogram> = { echo: createLatencyHistogram(), broadcast: createLatencyHistogram(), 'send-to': createLatencyHistogram() };
  /** Per broadcast, from the sender's timestamp to its delivery at the last receiver. */
  readonly fanout: Histogram = createLatencyHistogram();
  /** Measured broadcasts sent, and the deliveries they called for and got. */
  broadcasts = 0;
  broadcastsExpected = 0;
  broadcastsDelivered = 0;
  /** Broadcasts whose every delivery arrived. */
  fanoutsCompleted = 0;
  readonly handshake: Histogram = createLatencyHistogram();
  readonly errors = new Map<string, number>();

  addError(cause: string): void {
    this.errors.set(cause, (this.errors.get(cause) ?? 0) + 1);
  }

  get errorTotal(): number {
    let total = 0;
    for (const n of this.errors.values()) total += n;
    return total;
  }

  reset(): void {
    this.sent = this.expected = this.received = this.unexpected = this.lastReceiveNs = 0;
    this.broadcasts = this.broadcastsExpected = this.broadcastsDelivered = this.fanoutsCompleted = 0;
    for (const h of [this.latency, this.fanout, this.handshake, ...Object.values(this.latencyByKind)]) h.reset();
    this.errors.clear();
  }
}
