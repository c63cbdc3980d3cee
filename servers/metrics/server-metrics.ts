/**
 * What a server measures about itself, cheaply enough to leave on: per-model contention (the
 * actor's mailbox, the mutex's lock), outbound-queue-full events, and the process (event-loop delay
 * and utilization, CPU, RSS). Hot paths only add to HDR histograms and counters; everything else is
 * computed when someone asks (a snapshot for the load generator, a scrape for Prometheus).
 * Counts cover the window since the last reset(), which the load generator calls at phase boundaries.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { LatencySummary } from '../../common/histogram.ts';
import type { ModelName } from '../common/registry.ts';
import { LabelledHistograms } from './kind-histograms.ts';
import { loopDelaySummary } from '../../common/loop-delay.ts';
import { STATS_SCHEMA_VERSION, type PolicyReport, type ServerStats, type ServerGauges } from '../../common/stats-schema.ts';
export { STATS_SCHEMA_VERSION, type PolicyReport, type ServerStats, type ServerGauges } from '../../common/stats-schema.ts';
export { loopDelaySummary } from '../../common/loop-delay.ts';
import { TimeWeightedGauge } from './time-weighted-gauge.ts';
import type { PolicyCounters, SlowConsumerPolicy } from '../common/slow-consumer-policy.ts';

const LOOP_DELAY_RESOLUTION_MS = 10;

/**
 * By default the registries time one message (or lock acquisition) in 8: a systematic sample that
 * keeps the cost of timing small; counts stay exact. `--timing-sample-every 1` times every one.
 */
export const DEFAULT_TIMING_SAMPLE_EVERY = 8;
const DEPTH_SAMPLE_MS = 50;

/**
 * Recorded by the actor registry. Timing every message cost a few % of the server's CPU on this
 * machine, so mailbox wait and handling time are timed for every 8th message; the depth's maximum
 * is exact (checked on every post) and its time-weighted mean is sampled every 50 ms.
 */
export class ActorMetrics {
  readonly mailboxDepth: TimeWeightedGauge;
  /** Time a message spent in the mailbox, by message kind (sampled). */
  readonly mailboxWait = new LabelledHistograms();
  /** Time from taking a message to finishing it (its awaited sends included), by message kind (sampled). */
  readonly handling = new LabelledHistograms();
  /** Messages handled, by kind (every message). */
  readonly handled = new Map<string, number>();
  /** False while recording is paused (see ServerMetrics.setRecording): the actor then records nothing. */
  recording = true;
  private sampler: NodeJS.Timeout | undefined;
  private depthMax = 0;

  constructor(
    readonly depth: () => number,
    /** Mailbox wait and handling are timed for one message in this many. */
    readonly sampleEvery = DEFAULT_TIMING_SAMPLE_EVERY,
  ) {
    this.mailboxDepth = new TimeWeightedGauge(performance.now());
    this.startSampler();
  }

  setRecording(on: boolean): void {
    this.recording = on;
    if (on) this.startSampler();
    else this.stopSampler();
  }

  private startSampler(): void {
    if (this.sampler) return;
    this.sampler = setInterval(() => this.mailboxDepth.set(this.depth(), performance.now()), DEPTH_SAMPLE_MS);
    this.sampler.unref();
  }

  private stopSampler(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  /** Called on every post with the depth after it: keeps the exact maximum without reading a clock. */
  observeDepth(depth: number): void {
    if (depth > this.depthMax) this.depthMax = depth;
  }

  countHandled(kind: string): void {
    this.handled.set(kind, (this.handled.get(kind) ?? 0) + 1);
  }

  depthReport(now: number): { readonly mean: number; readonly max: number; readonly current: number } {
    const sampled = this.mailboxDepth.read(now);
    return { mean: sampled.mean, max: Math.max(this.depthMax, sampled.max), current: this.depth() };
  }

  reset(now: number): void {
    this.mailboxDepth.set(this.depth(), now); // the new window starts from the depth now, not the last sample
    this.mailboxDepth.reset(now);
    this.depthMax = this.depth();
    this.mailboxWait.reset();
    this.handling.reset();
    this.handled.clear();
  }

  close(): void {
    this.stopSampler();
  }
}

/**
 * Recorded by the mutex registry: waiters (exact, on every acquisition), acquisitions by operation
 * (exact), and lock wait and hold times for every 8th acquisition, for the same reason as the actor.
 */
export class MutexMetrics {
  /** Time from asking for the lock to getting it, by operation (sampled). */
  readonly lockWait = new LabelledHistograms();
  /** Time the lock was held (awaited sends included), by operation (sampled). */
  readonly lockHold = new LabelledHistograms();
  /** Acquisitions by operation (every one). */
  readonly acquisitions = new Map<string, number>();
  /** False while recording is paused (see ServerMetrics.setRecording): the registry then records nothing. */
  recording = true;
  waiters = 0;
  maxWaiters = 0;

  /** `sampleEvery`: lock wait and hold are timed for one acquisition in this many. */
  constructor(readonly sampleEvery = DEFAULT_TIMING_SAMPLE_EVERY) {}

  /** Counts an acquisition, and a waiter when the lock was taken at the time. */
  acquired(operation: string, waits: boolean): void {
    if (waits && ++this.waiters > this.maxWaiters) this.maxWaiters = this.waiters;
    this.acquisitions.set(operation, (this.acquisitions.get(operation) ?? 0) + 1);
  }

  reset(): void {
    this.lockWait.reset();
    this.lockHold.reset();
    this.acquisitions.clear();
    this.maxWaiters = this.waiters;
  }
}

export class ServerMetrics {
  readonly actor: ActorMetrics | undefined;
  readonly mutex: MutexMetrics | undefined;
  outboundQueueFullEvents = 0;
  /** POST /broadcast requests carried out, since the server started (never reset). */
  adminBroadcasts = 0;
  private readonly loopDelay: IntervalHistogram;
  private windowStart = performance.now();
  private eluStart: EventLoopUtilization = performance.eventLoopUtilization();
  private cpuStart = process.cpuUsage();

  constructor(
    readonly model: ModelName,
    private readonly connections: () => number,
    timingSampleEvery = DEFAULT_TIMING_SAMPLE_EVERY,
  ) {
    this.actor = model === 'actor' ? new ActorMetrics(() => this.actorDepth(), timingSampleEvery) : undefined;
    this.mutex = model === 'mutex' ? new MutexMetrics(timingSampleEvery) : undefined;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelay.enable();
  }

  /** The server tells the metrics which slow-consumer policy is in force and where it counts. */
  policy: { readonly policy: SlowConsumerPolicy; readonly counters: PolicyCounters } | undefined;

  policyReport(): PolicyReport {
    const policy = this.policy?.policy ?? { kind: 'await' };
    return {
      name: policy.kind,
      ...(policy.kind === 'disconnect' && { timeoutMs: policy.timeoutMs }),
      dropped: this.policy?.counters.dropped ?? 0,
      disconnected: this.policy?.counters.disconnected ?? 0,
    };
  }

  /** The actor registry tells the metrics how to read its mailbox depth. */
  actorDepth: () => number = () => 0;

  readonly queueFull = (): void => {
    if (this.recording) this.outboundQueueFullEvents++;
  };

  /** False while recording is paused. */
  get recording(): boolean {
    return this.recordingOn;
  }
  private recordingOn = true;

  /**
   * Pauses or resumes all recording on the message path (registry timings and counts, the depth
   * sampler, the loop-delay monitor, queue-full counts). Debug only: it lets one server alternate
   * instrumented and bare windows under the same load, to measure what the instrumentation costs.
   * Figures from a window that had paused stretches are incomplete.
   */
  setRecording(on: boolean): void {
    this.recordingOn = on;
    this.actor?.setRecording(on);
    if (this.mutex) this.mutex.recording = on;
    if (on) this.loopDelay.enable();
    else this.loopDelay.disable();
  }

  snapshot(): ServerStats {
    const now = performance.now();
    const windowMs = now - this.windowStart;
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      schemaVersion: STATS_SCHEMA_VERSION,
      model: this.model,
      windowMs: Math.round(windowMs),
      connections: this.connections(),
      outboundQueueFullEvents: this.outboundQueueFullEvents,
      eventLoop: {
        delay: loopDelaySummary(this.loopDelay, LOOP_DELAY_RESOLUTION_MS),
        utilization: this.utilization(),
      },
      cpuPercent: windowMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 1000) / 10 : 0,
      rssBytes: process.memoryUsage.rss(),
      slowConsumerPolicy: this.policyReport(),
      ...(this.actor && {
        actor: {
          mailboxDepth: this.actor.depthReport(now),
          handled: Object.fromEntries(this.actor.handled),
          timingSampleEvery: this.actor.sampleEvery,
          mailboxWait: this.actor.mailboxWait.report(),
          handling: this.actor.handling.report(),
        },
      }),
      ...(this.mutex && {
        mutex: {
          waiters: { current: this.mutex.waiters, max: this.mutex.maxWaiters },
          acquisitions: Object.fromEntries(this.mutex.acquisitions),
          timingSampleEvery: this.mutex.sampleEvery,
          lockWait: this.mutex.lockWait.report(),
          lockHold: this.mutex.lockHold.report(),
        },
      }),
    };
  }

  /** Event-loop utilization over the window, 0..1. */
  utilization(): number {
    return Math.round(performance.eventLoopUtilization(this.eluStart).utilization * 1000) / 1000;
  }

  gauges(): ServerGauges {
    return {
      connections: this.connections(),
      outboundQueueFullEvents: this.outboundQueueFullEvents,
      policyDropped: this.policy?.counters.dropped ?? 0,
      policyDisconnected: this.policy?.counters.disconnected ?? 0,
      adminBroadcasts: this.adminBroadcasts,
      ...(this.actor && { mailboxDepth: this.actorDepth() }),
      ...(this.mutex && { lockWaiters: this.mutex.waiters }),
    };
  }

  reset(): void {
    const now = performance.now();
    this.windowStart = now;
    this.eluStart = performance.eventLoopUtilization();
    this.cpuStart = process.cpuUsage();
    this.loopDelay.reset();
    this.outboundQueueFullEvents = 0;
    this.actor?.reset(now);
    this.mutex?.reset();
  }

  close(): void {
    this.loopDelay.disable();
    this.actor?.close();
  }
}
