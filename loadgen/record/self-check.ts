/**
 * The load generator watches itself: its event-loop delay, its CPU, and how late its sends leave
 * against the schedule. In open loop, when 1% of sends leave later than a margin, the run is
 * marked `loadgen-saturated`: its figures describe the harness, not the server. In closed loop
 * (no schedule), the mark goes to a run whose load generator used 95% or more of its core.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { createLatencyHistogram, recordNs, summarize, type Histogram, type LatencySummary } from '../../common/histogram.ts';
import { loopDelaySummary } from '../../common/loop-delay.ts';

const RESOLUTION_MS = 10;
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
  /** The load generator's CPU during the measured phase, % of one core. */
  readonly cpuPercent: number;
}

export class SelfCheck {
  readonly sendLag: Histogram = createLatencyHistogram();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private cpuStart = process.cpuUsage();
  private startedNs = 0;

  constructor(private readonly maxSendLagMs: number) {}

  /** Starts watching (at the start of the measured phase). */
  start(nowNs: number): void {
    this.loopDelay.reset();
    this.loopDelay.enable();
    this.cpuStart = process.cpuUsage();
    this.startedNs = nowNs;
  }

  recordSendLag(lagNs: number): void {
    recordNs(this.sendLag, lagNs);
  }

  /** Stops the event-loop monitor (safe to call more than once, e.g. after a failure). */
  stop(): void {
    this.loopDelay.disable();
  }

  /** Stops watching (at the end of the measured phase) and gives the verdict. */
  finish(nowNs: number, openLoop: boolean): SelfCheckReport {
    this.stop();
    const cpu = process.cpuUsage(this.cpuStart);
    const elapsedMs = (nowNs - this.startedNs) / 1e6;
    const sendLag = summarize(this.sendLag);
    const eventLoopDelay = loopDelaySummary(this.loopDelay, RESOLUTION_MS);
    const marginUs = this.maxSendLagMs * 1000;
    let reason: string | undefined;
    const cpuPercent = elapsedMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10 : 0;
    if (openLoop && sendLag.p99 > marginUs) {
      reason = `1% of sends left more than ${(sendLag.p99 / 1000).toFixed(1)} ms behind schedule (margin ${this.maxSendLagMs} ms)`;
    } else if (!openLoop && cpuPercent >= MAX_CLOSED_LOOP_CPU_PERCENT) {
      // Closed loop has no schedule to fall behind: a load generator using its whole core may be what limits the throughput.
      reason = `the load generator used ${cpuPercent}% of its core, so the throughput may be its own limit`;
    }
    return {
      saturated: reason !== undefined,
      ...(reason !== undefined && { reason }),
      maxSendLagMs: this.maxSendLagMs,
      sendLag,
      eventLoopDelay,
      cpuPercent,
    };
  }
}
