/**
 * The load generator watches itself: its event-loop delay, its CPU, and how late its sends leave
 * against the schedule. In open loop, when 1% of sends leave later than a margin, the run is
 * marked `loadgen-saturated`: its figures describe the harness, not the server. In closed loop
 * (no schedule), the mark goes to a run whose load generator used 95% or more of its core.
 *
 * Each part of a run keeps its watch as data (histograms encoded); `judgeSelfCheck` merges the
 * parts and gives the verdict, so that one saturated process marks the whole run.
 */
import { createLatencyHistogram, encodeHistogram, mergeEncoded, recordNs, summarize, type Histogram, type LatencySummary } from '../../common/histogram.ts';
import { nowNs } from '../clock.ts';

const LOOP_SAMPLE_MS = 10;
export const DEFAULT_MAX_SEND_LAG_MS = 10;
const MAX_CLOSED_LOOP_CPU_PERCENT = 95;

export interface SelfCheckReport {
  /** True when the load generator could not keep up: read every other figure with that in mind. */
  readonly saturated: boolean;
  /** Why, in words, when saturated. */
  readonly reason?: string;
  /** The margin the verdict used, in ms. */
  readonly maxSendLagMs: number;
  /** How late scheduled sends left (open loop only), µs. */
  readonly sendLag: LatencySummary;
  /** The load generator's own event-loop delay during the measured phase, µs. */
  readonly eventLoopDelay: LatencySummary;
  /** The load generator's CPU during the measured phase, % of one core (the busiest process's). */
  readonly cpuPercent: number;
}

/** One part's watch as JSON. `process` is absent for a part that shares another's process. */
export interface EncodedSelfCheck {
  readonly maxSendLagMs: number;
  readonly openLoop: boolean;
  readonly sendLag: string;
  readonly process?: { readonly loopDelay: string; readonly cpuMicros: number; readonly elapsedNs: number };
}

export class SelfCheck {
  readonly sendLag: Histogram = createLatencyHistogram();
  private readonly loop = new LoopDelaySampler();
  private cpuStart = process.cpuUsage();
  private startedNs = 0;
  private finished: EncodedSelfCheck['process'];

  constructor(
    private readonly maxSendLagMs: number,
    private readonly openLoop: boolean,
  ) {}

  /** Starts watching (at the start of the measured phase). */
  start(): void {
    this.loop.start();
    this.cpuStart = process.cpuUsage();
    this.startedNs = nowNs();
  }

  recordSendLag(lagNs: number): void {
    recordNs(this.sendLag, lagNs);
  }

  /** Stops watching (at the end of the measured phase; safe to call again, e.g. after a failure). */
  stop(): void {
    if (this.finished || this.startedNs === 0) return;
    this.loop.stop();
    const cpu = process.cpuUsage(this.cpuStart);
    this.finished = { loopDelay: encodeHistogram(this.loop.histogram), cpuMicros: cpu.user + cpu.system, elapsedNs: nowNs() - this.startedNs };
  }

  encode(): EncodedSelfCheck {
    this.stop();
    return { maxSendLagMs: this.maxSendLagMs, openLoop: this.openLoop, sendLag: encodeHistogram(this.sendLag), ...(this.finished && { process: this.finished }) };
  }
}

/** The verdict over every part: the send lags and loop delays merged, the busiest process's CPU. */
export function judgeSelfCheck(parts: readonly EncodedSelfCheck[]): SelfCheckReport {
  const { maxSendLagMs, openLoop } = parts[0]!;
  const processes = parts.flatMap((p) => (p.process ? [p.process] : []));
  const sendLag = summarize(mergeEncoded(parts.map((p) => p.sendLag)));
  const eventLoopDelay = summarize(mergeEncoded(processes.map((p) => p.loopDelay)));
  const cpuPercent = Math.max(0, ...processes.map((p) => (p.elapsedNs > 0 ? Math.round((p.cpuMicros / 1000 / (p.elapsedNs / 1e6)) * 1000) / 10 : 0)));
  let reason: string | undefined;
  if (openLoop && sendLag.p99 > maxSendLagMs * 1000) {
    reason = `1% of sends left more than ${(sendLag.p99 / 1000).toFixed(1)} ms behind schedule (margin ${maxSendLagMs} ms)`;
  } else if (!openLoop && cpuPercent >= MAX_CLOSED_LOOP_CPU_PERCENT) {
    // Closed loop has no schedule to fall behind: a load generator using its whole core may be what limits the throughput.
    reason = `the load generator used ${cpuPercent}% of its core, so the throughput may be its own limit`;
  }
  return { saturated: reason !== undefined, ...(reason !== undefined && { reason }), maxSendLagMs, sendLag, eventLoopDelay, cpuPercent };
}

/**
 * Event-loop delay into an HDR histogram (so that parts merge): a timer every 10 ms records how
 * late it ran, as monitorEventLoopDelay does less its own period. An idle loop reads ~1 ms (the
 * timers' granularity), a 200 ms pause reads ~200 ms.
 */
class LoopDelaySampler {
  readonly histogram: Histogram = createLatencyHistogram();
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.histogram.reset();
    let due = nowNs() + LOOP_SAMPLE_MS * 1e6;
    const tick = (): void => {
      const now = nowNs();
      recordNs(this.histogram, Math.max(0, now - due));
      due = now + LOOP_SAMPLE_MS * 1e6;
      this.timer = setTimeout(tick, LOOP_SAMPLE_MS);
    };
    this.timer = setTimeout(tick, LOOP_SAMPLE_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
