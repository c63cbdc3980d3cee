/**
 * Per traffic phase (a scenario's stretches of one rate each): what was sent, expected and
 * received, and the latency of the probes scheduled in it. After a phase at the run's peak rate
 * (a burst), the next phase reports how long latency took to recover: seconds from its start to
 * the first second whose p99 is back within RECOVERY_FACTOR of the first phase's p99.
 */
import { createLatencyHistogram, encodeHistogram, mergeEncoded, recordNs, summarize, type Histogram, type LatencySummary } from '../../common/histogram.ts';
import type { TrafficPhase } from '../plan.ts';
import type { TimeSeriesSample } from './time-series.ts';

export const RECOVERY_FACTOR = 2;

export interface PhaseReport {
  readonly name: string;
  /** Target rate, messages per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly sent: number;
  readonly expected: number;
  readonly received: number;
  /** Latency of the deliveries of probes scheduled in this phase, µs. */
  readonly latency: LatencySummary;
  /**
   * Only for the phase right after the peak-rate phase: seconds from its start until a second's
   * p99 was back within RECOVERY_FACTOR × the first phase's p99; null when it never was.
   */
  readonly recoveredAfterSeconds?: number | null;
}

interface PhaseTally {
  sent: number;
  expected: number;
  received: number;
  readonly latency: Histogram;
}

/** A part's phase tallies as JSON. */
export interface EncodedPhaseStats {
  readonly phases: readonly TrafficPhase[];
  /** Seconds since the traffic began at which each phase began. */
  readonly startedAtSecond: readonly number[];
  readonly tallies: readonly { readonly sent: number; readonly expected: number; readonly received: number; readonly latency: string }[];
}

export class PhaseStats {
  private readonly tallies: PhaseTally[];
  /** First probe seq of each phase begun so far. */
  private readonly firstSeq: number[] = [];
  /** Seconds since the traffic began at which each phase began. */
  private readonly startedAtSecond: number[] = [];

  constructor(private readonly phases: readonly TrafficPhase[]) {
    this.tallies = phases.map(() => ({ sent: 0, expected: 0, received: 0, latency: createLatencyHistogram() }));
  }

  /** Index of the phase being sent now (-1 before the first). */
  get current(): number {
    return this.firstSeq.length - 1;
  }

  get currentName(): string | undefined {
    return this.phases[this.current]?.name;
  }

  begin(seq: number, atSecond: number): void {
    this.firstSeq.push(seq);
    this.startedAtSecond.push(atSecond);
  }

  sent(deliveries: number): void {
    const t = this.tallies[this.current];
    if (!t) return;
    t.sent++;
    t.expected += deliveries;
  }

  /**
   * A measured delivery of probe `seq`. With a single phase its latency is the run's, which the
   * caller records anyway: no second HDR record on the hot path then.
   */
  received(seq: number, latencyNs: number): void {
    if (this.phases.length === 1) {
      this.tallies[0]!.received++;
      return;
    }
    let i = this.firstSeq.length - 1;
    while (i > 0 && seq < this.firstSeq[i]!) i--;
    const t = this.tallies[i];
    if (!t) return;
    t.received++;
    recordNs(t.latency, latencyNs);
  }

  encode(): EncodedPhaseStats {
    return {
      phases: this.phases,
      startedAtSecond: [...this.startedAtSecond],
      tallies: this.tallies.map((t) => ({ sent: t.sent, expected: t.expected, received: t.received, latency: encodeHistogram(t.latency) })),
    };
  }
}

/**
 * The parts' phases added up (phase boundaries are the coordinator's: the first part's). `overall`:
 * the run's latency, which a single phase's is.
 */
export function reportPhases(parts: readonly EncodedPhaseStats[], samples: readonly TimeSeriesSample[], overall: Histogram): PhaseReport[] {
  const { phases, startedAtSecond } = parts[0]!;
  const tallies = phases.map((_, i) => ({
    sent: parts.reduce((sum, p) => sum + p.tallies[i]!.sent, 0),
    expected: parts.reduce((sum, p) => sum + p.tallies[i]!.expected, 0),
    received: parts.reduce((sum, p) => sum + p.tallies[i]!.received, 0),
    latency: phases.length === 1 ? overall : mergeEncoded(parts.map((p) => p.tallies[i]!.latency)),
  }));
  const peak = phases.length > 2 ? peakIndex(phases) : -1;
  const baselineP99 = summarize(tallies[0]!.latency).p99 ?? 0;
  return phases.map((phase, i) => {
    const t = tallies[i]!;
    const report: PhaseReport = { name: phase.name, rate: phase.rate, durationMs: phase.durationMs, sent: t.sent, expected: t.expected, received: t.received, latency: summarize(t.latency) };
    if (i !== peak + 1 || peak < 0) return report;
    return { ...report, recoveredAfterSeconds: recovery(phase.name, startedAtSecond[i], baselineP99, samples) };
  });
}

/** The phase at the highest rate, when it is neither the first nor the last and higher than the first. */
function peakIndex(phases: readonly TrafficPhase[]): number {
  let peak = 0;
  phases.forEach((p, i) => {
    if (p.rate > phases[peak]!.rate) peak = i;
  });
  return peak > 0 && peak < phases.length - 1 ? peak : -1;
}

function recovery(name: string, start: number | undefined, baselineP99: number, samples: readonly TimeSeriesSample[]): number | null {
  if (start === undefined || baselineP99 === 0) return null;
  const bound = RECOVERY_FACTOR * baselineP99;
  const recovered = samples.find((s) => s.phase === 'measure' && s.trafficPhase === name && s.received > 0 && s.p99 <= bound);
  return recovered ? Math.max(0, Math.round((recovered.t - start) * 10) / 10) : null;
}
