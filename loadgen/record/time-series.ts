/**
 * One sample per second of traffic (warm-up, measure and drain), so that reports can plot a run:
 * what was sent and received in that second, its latency percentiles, errors, and the server's
 * gauges (mailbox depth or lock waiters) read at the same moment. Each part of a run keeps its
 * seconds as data (`PartSample`, the second's histogram encoded); `mergeSamples` adds the parts'
 * seconds one by one, and a single part's samples come out as they went in.
 */
import { createLatencyHistogram, encodeHistogram, mergeEncoded, recordNs, type Histogram } from '../../common/histogram.ts';
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
  /** Deliveries still expected at the end of this second (called for so far, less rightful ones received so far). */
  readonly outstanding: number;
  /** The scenario's traffic phase this second ended in (measured seconds only). */
  readonly trafficPhase?: string;
  /** Latency of this second's deliveries, µs (0 when none). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The server's gauges, when it has metrics. */
  readonly server?: ServerGauges;
}

/** What a part of a run knew of one second. */
export interface PartSample {
  readonly t: number;
  readonly phase: TimeSeriesSample['phase'];
  readonly trafficPhase?: string;
  readonly openClients: number;
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
  /** Deliveries called for, and rightful deliveries received (no surplus copy), since the traffic began, warm-up included. */
  readonly expectedSoFar: number;
  readonly receivedSoFar: number;
  readonly latency: string;
  readonly server?: ServerGauges;
}

/** What the coordinator knows at the end of a second. */
export interface SecondContext {
  readonly t: number;
  readonly phase: TimeSeriesSample['phase'];
  readonly trafficPhase?: string;
  readonly openClients: number;
  readonly errorsSoFar: number;
  readonly server?: ServerGauges;
}

export class TimeSeries {
  readonly parts: PartSample[] = [];
  sent = 0;
  received = 0;
  expectedSoFar = 0;
  receivedSoFar = 0;
  private readonly interval: Histogram = createLatencyHistogram();
  private lastErrors = 0;

  recordLatencyNs(ns: number): void {
    recordNs(this.interval, ns);
  }

  /** Closes the current second and starts the next; returns the second as reports show it. */
  take(c: SecondContext): TimeSeriesSample {
    const part: PartSample = {
      t: Math.round(c.t * 10) / 10,
      phase: c.phase,
      ...(c.trafficPhase !== undefined && { trafficPhase: c.trafficPhase }),
      openClients: c.openClients,
      sent: this.sent,
      received: this.received,
      errors: c.errorsSoFar - this.lastErrors,
      expectedSoFar: this.expectedSoFar,
      receivedSoFar: this.receivedSoFar,
      latency: encodeHistogram(this.interval),
      ...(c.server && { server: c.server }),
    };
    this.parts.push(part);
    const sample = sampleOf([part], this.interval);
    this.sent = 0;
    this.received = 0;
    this.lastErrors = c.errorsSoFar;
    this.interval.reset();
    return sample;
  }
}

/** The parts' seconds added up, second by second (the second's clock and phase are the first part's). */
export function mergeSamples(parts: readonly (readonly PartSample[])[]): TimeSeriesSample[] {
  const seconds = Math.max(0, ...parts.map((p) => p.length));
  const merged: TimeSeriesSample[] = [];
  for (let i = 0; i < seconds; i++) {
    const those = parts.map((p) => p[i]).filter((s): s is PartSample => s !== undefined);
    merged.push(sampleOf(those, mergeEncoded(those.map((s) => s.latency))));
  }
  return merged;
}

function sampleOf(those: readonly PartSample[], latency: Histogram): TimeSeriesSample {
  const first = those[0]!;
  const sum = (pick: (s: PartSample) => number): number => those.reduce((total, s) => total + pick(s), 0);
  const empty = latency.totalCount === 0;
  const server = those.find((s) => s.server)?.server;
  return {
    t: first.t,
    phase: first.phase,
    openClients: sum((s) => s.openClients),
    sent: sum((s) => s.sent),
    received: sum((s) => s.received),
    errors: sum((s) => s.errors),
    outstanding: Math.max(0, sum((s) => s.expectedSoFar) - sum((s) => s.receivedSoFar)),
    ...(first.trafficPhase !== undefined && { trafficPhase: first.trafficPhase }),
    p50: empty ? 0 : latency.getValueAtPercentile(50),
    p99: empty ? 0 : Math.min(latency.getValueAtPercentile(99), latency.maxValue),
    max: empty ? 0 : latency.maxValue,
    ...(server && { server }),
  };
}
