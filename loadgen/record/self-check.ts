/**
 * The load generator watches itself on both sides, because either can make its figures its own:
 * - send side: how late each scheduled send left (open loop);
 * - receive side: how late its event loop ran while replies were due — a late loop timestamps
 *   every reply late, which reads as server latency;
 * and its CPU (closed loop has no schedule to fall behind: a whole core used marks it instead).
 *
 * The verdict counts late events against the margin (--max-send-lag, 10 ms): a side is saturated
 * when more than 1% of its events were late, and at least MIN_LATE_EVENTS of them — so a short
 * run is judged on what happened, not on the single worst event its "p99" would be. Each part of
 * a run keeps its watch as data (histograms encoded, counts); `judgeSelfCheck` merges the parts
 * and gives the verdict, so that one saturated process marks the whole run.
 */
import { createLatencyHistogram, encodeHistogram, mergeEncoded, recordNs, summarize, type Histogram, type LatencySummary } from '../../common/histogram.ts';
import { nowNs } from '../clock.ts';

const LOOP_SAMPLE_MS = 10;
export const DEFAULT_MAX_SEND_LAG_MS = 10;
const MAX_CLOSED_LOOP_CPU_PERCENT = 95;
/** A side is saturated when more than this share of its events were late… */
const LATE_SHARE = 0.01;
/** …and at least this many (one late event is a blip, not a saturated load generator). */
export const MIN_LATE_EVENTS = 2;
const ADVICE = 'try --pin (server and load generator on separate CPUs), fewer clients, or a lower rate';

/** One side of the watch: its events, how many were later than the margin, the longest delay (µs). */
export interface SideReport {
  readonly events: number;
  readonly late: number;
  readonly longestUs: number;
  readonly saturated: boolean;
}

export interface SelfCheckReport {
  /** True when the load generator could not keep up: read every other figure with that in mind. */
  readonly saturated: boolean;
  /** Why, in words, when saturated. */
  readonly reason?: string;
  /** Which side could not keep up, when saturated. */
  readonly side?: 'send' | 'receive' | 'both' | 'cpu';
  /** What to try, when saturated. */
  readonly advice?: string;
  /** The margin the verdict used, in ms. */
  readonly maxSendLagMs: number;
  /** How late scheduled sends left (open loop only), µs. */
  readonly sendLag: LatencySummary;
  /** Sends (events) and sends later than the margin. */
  readonly sendSide: SideReport;
  /** Loop checks every 10 ms while replies were due (events), and those later than the margin. */
  readonly receiveSide: SideReport;
  /** The load generator's own event-loop delay during the measured phase, µs. */
  readonly eventLoopDelay: LatencySummary;
  /** The load generator's CPU during the measured phase, % of one core (the busiest process's). */
  readonly cpuPercent: number;
}

/** One process's watch. */
interface ProcessWatch {
  readonly loopDelay: string;
  /** Loop checks while replies were due, and those later than the margin, with their delays. */
  readonly pendingChecks: number;
  readonly latePendingChecks: number;
  readonly pendingLoopDelay: string;
  readonly cpuMicros: number;
  readonly elapsedNs: number;
}

/** One part's watch as JSON. `process` is absent for a part that shares another's process. */
export interface EncodedSelfCheck {
  readonly maxSendLagMs: number;
  readonly openLoop: boolean;
  readonly sendLag: string;
  readonly lateSends: number;
  readonly process?: ProcessWatch;
}

export class SelfCheck {
  readonly sendLag: Histogram = createLatencyHistogram();
  private lateSends = 0;
  private readonly loop: LoopDelaySampler;
  private cpuStart = process.cpuUsage();
  private startedNs = 0;
  private finished: ProcessWatch | undefined;

  constructor(
    private readonly maxSendLagMs: number,
    private readonly openLoop: boolean,
    /** Whether replies are due now (the receive side is judged only then). */
    pending: () => boolean,
  ) {
    this.loop = new LoopDelaySampler(pending, maxSendLagMs * 1e6);
  }

  /** Starts watching (at the start of the measured phase). */
  start(): void {
    this.loop.start();
    this.cpuStart = process.cpuUsage();
    this.startedNs = nowNs();
  }

  recordSendLag(lagNs: number): void {
    recordNs(this.sendLag, lagNs);
    if (lagNs > this.maxSendLagMs * 1e6) this.lateSends++;
  }

  /** Stops watching (at the end of the measured phase; safe to call again, e.g. after a failure). */
  stop(): void {
    if (this.finished || this.startedNs === 0) return;
    this.loop.stop();
    const cpu = process.cpuUsage(this.cpuStart);
    const l = this.loop;
    this.finished = {
      loopDelay: encodeHistogram(l.histogram),
      pendingChecks: l.pendingChecks,
      latePendingChecks: l.latePendingChecks,
      pendingLoopDelay: encodeHistogram(l.pendingHistogram),
      cpuMicros: cpu.user + cpu.system,
      elapsedNs: nowNs() - this.startedNs,
    };
  }

  encode(): EncodedSelfCheck {
    this.stop();
    return { maxSendLagMs: this.maxSendLagMs, openLoop: this.openLoop, sendLag: encodeHistogram(this.sendLag), lateSends: this.lateSends, ...(this.finished && { process: this.finished }) };
  }
}

/** The verdict over every part: the send lags and loop delays merged, late events added, the busiest process's CPU. */
export function judgeSelfCheck(parts: readonly EncodedSelfCheck[]): SelfCheckReport {
  const { maxSendLagMs, openLoop } = parts[0]!;
  const processes = parts.flatMap((p) => (p.process ? [p.process] : []));
  const sendLagHistogram = mergeEncoded(parts.map((p) => p.sendLag));
  const sendLag = summarize(sendLagHistogram);
  const pendingDelay = summarize(mergeEncoded(processes.map((p) => p.pendingLoopDelay)));
  // No events, no lateness: an empty histogram's max counts as 0 here.
  const sendSide = side(sendLag.count, parts.reduce((n, p) => n + (p.lateSends ?? 0), 0), sendLag.max ?? 0, openLoop);
  const receiveSide = side(
    processes.reduce((n, p) => n + (p.pendingChecks ?? 0), 0),
    processes.reduce((n, p) => n + (p.latePendingChecks ?? 0), 0),
    pendingDelay.max ?? 0,
    true,
  );
  const eventLoopDelay = summarize(mergeEncoded(processes.map((p) => p.loopDelay)));
  const cpuPercent = Math.max(0, ...processes.map((p) => (p.elapsedNs > 0 ? Math.round((p.cpuMicros / 1000 / (p.elapsedNs / 1e6)) * 1000) / 10 : 0)));
  const cpuBound = !openLoop && cpuPercent >= MAX_CLOSED_LOOP_CPU_PERCENT;
  const reasons: string[] = [];
  if (sendSide.saturated) reasons.push(`${sendSide.late} of ${sendSide.events} sends left more than ${maxSendLagMs} ms behind schedule (longest ${ms(sendSide.longestUs)})`);
  if (receiveSide.saturated) reasons.push(`its event loop ran more than ${maxSendLagMs} ms late in ${receiveSide.late} of ${receiveSide.events} checks while replies were due (longest ${ms(receiveSide.longestUs)}), so replies were timestamped late`);
  // Closed loop has no schedule to fall behind: a load generator using its whole core may be what limits the throughput.
  if (cpuBound) reasons.push(`the load generator used ${cpuPercent}% of its core, so the throughput may be its own limit`);
  const saturated = reasons.length > 0;
  const which = sendSide.saturated && receiveSide.saturated ? 'both' : sendSide.saturated ? 'send' : receiveSide.saturated ? 'receive' : 'cpu';
  return {
    saturated,
    ...(saturated && { reason: reasons.join('; '), side: which, advice: ADVICE }),
    maxSendLagMs,
    sendLag,
    sendSide,
    receiveSide,
    eventLoopDelay,
    cpuPercent,
  };
}

function side(events: number, late: number, longestUs: number, judged: boolean): SideReport {
  return { events, late, longestUs, saturated: judged && late >= MIN_LATE_EVENTS && late > events * LATE_SHARE };
}

function ms(us: number): string {
  return `${(us / 1000).toFixed(1)} ms`;
}

/**
 * Event-loop delay into HDR histograms (so that parts merge): a timer every 10 ms records how
 * late it ran, as monitorEventLoopDelay does less its own period. An idle loop reads ~1 ms (the
 * timers' granularity), a 200 ms pause reads ~200 ms. Checks made while replies are due are
 * also kept apart, with how many were later than the margin.
 */
class LoopDelaySampler {
  readonly histogram: Histogram = createLatencyHistogram();
  readonly pendingHistogram: Histogram = createLatencyHistogram();
  pendingChecks = 0;
  latePendingChecks = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pending: () => boolean,
    private readonly marginNs: number,
  ) {}

  start(): void {
    this.histogram.reset();
    let due = nowNs() + LOOP_SAMPLE_MS * 1e6;
    const tick = (): void => {
      const now = nowNs();
      const delay = Math.max(0, now - due);
      recordNs(this.histogram, delay);
      if (this.pending()) {
        this.pendingChecks++;
        recordNs(this.pendingHistogram, delay);
        if (delay > this.marginNs) this.latePendingChecks++;
      }
      due = now + LOOP_SAMPLE_MS * 1e6;
      this.timer = setTimeout(tick, LOOP_SAMPLE_MS);
    };
    this.timer = setTimeout(tick, LOOP_SAMPLE_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
