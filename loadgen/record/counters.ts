/** Everything a run counts, in one object (never loose variables), with histograms from the one module. */
import { createLatencyHistogram, mergeHistograms, type Histogram } from '../../common/histogram.ts';
import type { ProbeKind } from '../../common/protocol.ts';

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
  /** Every measured delivery, by the probe's kind. */
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

  /** Every measured delivery: the per-kind histograms merged (read once per run, never per message). */
  get latency(): Histogram {
    return mergeHistograms(Object.values(this.latencyByKind));
  }

  addError(cause: string): void {
    this.errors.set(cause, (this.errors.get(cause) ?? 0) + 1);
  }

  get errorTotal(): number {
    let total = 0;
    for (const n of this.errors.values()) total += n;
    return total;
  }
}
