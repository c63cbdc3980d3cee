/** Everything a part of a run counts, in one object (never loose variables), with histograms from the one module. */
import { createLatencyHistogram, encodeHistogram, type Histogram } from '../../common/histogram.ts';
import type { ProbeKind } from '../../common/protocol.ts';

/** The counters as JSON, histograms encoded. */
export interface EncodedCounters {
  readonly sent: number;
  readonly expected: number;
  /** Deliveries the warm-up probes called for (they are accounted, never timed). */
  readonly warmupExpected: number;
  readonly received: number;
  readonly unexpected: number;
  readonly broadcasts: number;
  readonly broadcastsExpected: number;
  readonly adminBroadcastsReceived: number;
  readonly faultFramesReceived: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly latencyByKind: Readonly<Record<ProbeKind, string>>;
  readonly handshake: string;
}

export class RunCounters {
  /** Measured probes sent. */
  sent = 0;
  /** Deliveries the measured sends call for: 1 per echo or send-to, (open clients - 1) per broadcast. */
  expected = 0;
  warmupExpected = 0;
  /** Measured probes received (extra ones included). */
  received = 0;
  /** Frames that were neither a probe nor a control frame. */
  unexpected = 0;
  /** hrtime (ns) of the last measured probe received, 0 when none (for the receive rate). */
  lastReceiveNs = 0;
  /** Measured broadcasts sent, and the deliveries they called for. */
  broadcasts = 0;
  broadcastsExpected = 0;
  /** Frames of POST /broadcast (HTTP side traffic) received. */
  adminBroadcastsReceived = 0;
  /** Copies of the fault-isolation experiment's fault frame received (a broadcast that failed halfway: about half). */
  faultFramesReceived = 0;
  /** Every measured delivery, by the probe's kind. */
  readonly latencyByKind: Record<ProbeKind, Histogram> = { echo: createLatencyHistogram(), broadcast: createLatencyHistogram(), 'send-to': createLatencyHistogram() };
  readonly handshake: Histogram = createLatencyHistogram();
  readonly errors = new Map<string, number>();
  /** Errors so far, kept as a running sum for the per-second samples. */
  errorTotal = 0;

  addError(cause: string): void {
    this.errors.set(cause, (this.errors.get(cause) ?? 0) + 1);
    this.errorTotal++;
  }

  error(cause: string): number {
    return this.errors.get(cause) ?? 0;
  }

  encode(): EncodedCounters {
    const { sent, expected, warmupExpected, received, unexpected, broadcasts, broadcastsExpected, adminBroadcastsReceived, faultFramesReceived } = this;
    return {
      sent,
      expected,
      warmupExpected,
      received,
      unexpected,
      broadcasts,
      broadcastsExpected,
      adminBroadcastsReceived,
      faultFramesReceived,
      errors: Object.fromEntries(this.errors),
      latencyByKind: { echo: encodeHistogram(this.latencyByKind.echo), broadcast: encodeHistogram(this.latencyByKind.broadcast), 'send-to': encodeHistogram(this.latencyByKind['send-to']) },
      handshake: encodeHistogram(this.handshake),
    };
  }
}
