/**
 * The servers' stats schema (GET /stats, GET /stats/gauges): the contract between a server and
 * whoever reads it (the load generator, reports, dashboards). Shared, so that the load generator
 * never loads server code to read a server's answer.
 */
import type { LatencySummary } from './histogram.ts';
import type { ModelName } from './models.ts';
import type { SlowConsumerPolicy } from './slow-consumer-policy.ts';

export const STATS_SCHEMA_VERSION = 2;

export interface HistogramReport {
  readonly summary: LatencySummary;
  /** HdrHistogram, compressed base64 (µs). */
  readonly histogram: string;
}

/** The slow-consumer policy in force and what it did over the server's life (never reset). */
export interface PolicyReport {
  readonly name: SlowConsumerPolicy['kind'];
  readonly timeoutMs?: number;
  readonly dropped: number;
  readonly disconnected: number;
}

export interface ServerStats {
  readonly schemaVersion: typeof STATS_SCHEMA_VERSION;
  readonly model: ModelName;
  /** Length of the window these figures cover, in ms. */
  readonly windowMs: number;
  readonly connections: number;
  /** Sends that found a client's outbound queue full and had to wait. */
  readonly outboundQueueFullEvents: number;
  readonly eventLoop: { readonly delay: LatencySummary; readonly utilization: number };
  /** Process CPU time over the window, in % of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly slowConsumerPolicy: PolicyReport;
  readonly actor?: {
    readonly mailboxDepth: { readonly mean: number; readonly max: number; readonly current: number };
    /** Messages handled in the window, by kind (every message). */
    readonly handled: Record<string, number>;
    /** Mailbox wait and handling are timed for one message in this many. */
    readonly timingSampleEvery: number;
    readonly mailboxWait: Record<string, HistogramReport>;
    readonly handling: Record<string, HistogramReport>;
  };
  readonly mutex?: {
    readonly waiters: { readonly current: number; readonly max: number };
    /** Lock acquisitions in the window, by operation (every one). */
    readonly acquisitions: Record<string, number>;
    /** Lock wait and hold are timed for one acquisition in this many. */
    readonly timingSampleEvery: number;
    readonly lockWait: Record<string, HistogramReport>;
    readonly lockHold: Record<string, HistogramReport>;
  };
}

/** The few figures worth polling every second for a time series. */
export interface ServerGauges {
  readonly connections: number;
  readonly mailboxDepth?: number;
  readonly lockWaiters?: number;
  readonly outboundQueueFullEvents: number;
  /** Totals since the server started (not reset with the window). */
  readonly policyDropped: number;
  readonly policyDisconnected: number;
  /** POST /broadcast requests the registry carried out since the server started. */
  readonly adminBroadcasts: number;
}
