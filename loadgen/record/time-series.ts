/**
 * One sample per second of traffic (warm-up, measure and drain), so that reports can plot a run:
 * what was sent and received in that second, its latency percentiles, errors, and the server's
 * gauges (mailbox depth or lock waiters) read at the same moment.
 */
import { createLatencyHistogram, recordNs, type Histogram } from '../../common/histogram.ts';
import type { ServerGauges } from '../../common/stats-schema.ts';

export interface TimeSeriesSample {
  /** Seconds since the traffic began (end of this sample's second). */
  readonly t: number;
  readonly phase: 'warmup' | 'measure' | 'drain';
  readonly openClients: number;
  /** Probes sent and deliveries received in this second (warm-up included). */
  readonly sent: number;
  readonly received: number;
  /** Errors in this second. */
  readonly errors: number;
  /** Deliveries still expected at the end of this second. */
  readonly outstanding: number;
  /** The scenario's traffic phase this second ended in (measured seconds only). */
  readonly trafficPhase?: string;
  /** Latency of this second's deliveries, µs (0 when none). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The server's gauges, when it has metrics (filled in when its answer arrives). */
  server?: ServerGauges;
}

export class TimeSeries {
  readonly samples: TimeSeriesSample[] = [];
  sent = 0;
  received = 0;
  private readonly interval: Histogram = createLatencyHistogram();
  private lastErrors = 0;

  recordLatencyNs(ns: number): void {
    recordNs(this.interval, ns);
  }

  /** Closes the current second and starts the next. */
  take(t: number, phase: TimeSeriesSample['phase'], openClients: number, errorsSoFar: number, outstanding: number, trafficPhase?: string): TimeSeriesSample {
    const h = this.interval;
    const empty = h.totalCount === 0;
    const sample: TimeSeriesSample = {
      t: Math.round(t * 10) / 10,
      phase,
      openClients,
      sent: this.sent,
      received: this.received,
      errors: errorsSoFar - this.lastErrors,
      outstanding,
      ...(trafficPhase !== undefined && { trafficPhase }),
      p50: empty ? 0 : h.getValueAtPercentile(50),
      p99: empty ? 0 : Math.min(h.getValueAtPercentile(99), h.maxValue),
      max: empty ? 0 : h.maxValue,
    };
    this.samples.push(sample);
    this.sent = 0;
    this.received = 0;
    this.lastErrors = errorsSoFar;
    h.reset();
    return sample;
  }
}
