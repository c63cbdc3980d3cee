/**
 * What a server measures about itself, cheaply enough to leave on: the model's contention (its
 * own instruments, from its folder: the actor's mailbox, the mutex's lock), outbound-queue-full
 * events, the slow-consumer policy's counts, and the process (event-loop delay and utilization,
 * CPU, RSS). Hot paths only add to HDR histograms and counters; everything else is
 * computed when someone asks (a snapshot for the load generator, a scrape for Prometheus).
 * Counts cover the window since the last reset(), which the load generator calls at phase boundaries.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type ELDHistogram } from 'node:perf_hooks';
import { loopDelaySummary } from '../../common/loop-delay.ts';
import { STATS_SCHEMA_VERSION, type PolicyReport, type ServerStats, type ServerGauges } from '../../common/stats-schema.ts';
import { NO_CONTENTION, type ContentionMetrics } from '../common/model-definition.ts';
import type { PolicyCounters, SlowConsumerPolicy } from '../common/slow-consumer-policy.ts';
import type { WaitingCap } from '../admin/waiting-cap.ts';
export { STATS_SCHEMA_VERSION, type PolicyReport, type ServerStats, type ServerGauges } from '../../common/stats-schema.ts';
export { DEFAULT_TIMING_SAMPLE_EVERY } from './timing-sample.ts';

const LOOP_DELAY_RESOLUTION_MS = 10;

export interface ServerMetricsOptions {
  readonly model: string;
  readonly connections: () => number;
  /** The model's own instruments (absent for a model with nothing to contend on). */
  readonly contention: ContentionMetrics | undefined;
  readonly policy: SlowConsumerPolicy;
  readonly policyCounters: PolicyCounters;
  /** The admin routes' waiting cap: requests waiting for the registry, and those it refused. */
  readonly admin?: WaitingCap;
  /** Clients the heartbeat terminated since the server started. */
  readonly heartbeatTerminations?: () => number;
}

export class ServerMetrics {
  readonly model: string;
  readonly contention: ContentionMetrics | undefined;
  outboundQueueFullEvents = 0;
  /** POST /broadcast requests carried out, since the server started (never reset). */
  adminBroadcasts = 0;
  private readonly loopDelay: ELDHistogram;
  private windowStart = performance.now();
  private eluStart: EventLoopUtilization = performance.eventLoopUtilization();
  private cpuStart = process.cpuUsage();

  private readonly connections: () => number;
  private readonly policy: SlowConsumerPolicy;
  private readonly policyCounters: PolicyCounters;
  readonly admin: WaitingCap | undefined;
  readonly heartbeatTerminations: () => number;

  constructor(options: ServerMetricsOptions) {
    this.admin = options.admin;
    this.heartbeatTerminations = options.heartbeatTerminations ?? (() => 0);
    this.model = options.model;
    this.connections = options.connections;
    this.contention = options.contention;
    this.policy = options.policy;
    this.policyCounters = options.policyCounters;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelay.enable();
  }

  policyReport(): PolicyReport {
    const policy = this.policy;
    return {
      name: policy.kind,
      ...(policy.kind === 'disconnect' && { timeoutMs: policy.timeoutMs }),
      dropped: this.policyCounters.dropped,
      disconnected: this.policyCounters.disconnected,
    };
  }

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
    this.contention?.setRecording(on);
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
      contention: this.contention?.report(now) ?? NO_CONTENTION,
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
      policyDropped: this.policyCounters.dropped,
      policyDisconnected: this.policyCounters.disconnected,
      adminBroadcasts: this.adminBroadcasts,
      adminWaiting: this.admin?.waiting ?? 0,
      adminRefused: this.admin?.refusedTotal ?? 0,
      heartbeatTerminations: this.heartbeatTerminations(),
      contention: this.contention?.gauges() ?? {},
    };
  }

  reset(): void {
    const now = performance.now();
    this.windowStart = now;
    this.eluStart = performance.eventLoopUtilization();
    this.cpuStart = process.cpuUsage();
    this.loopDelay.reset();
    this.outboundQueueFullEvents = 0;
    this.contention?.reset(now);
  }

  close(): void {
    this.loopDelay.disable();
    this.contention?.close();
  }
}
