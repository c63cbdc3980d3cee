/**
 * The servers' stats schema (GET /stats, GET /stats/gauges): the contract between a server and
 * whoever reads it (the load generator, reports, dashboards). Shared, so that the load generator
 * never loads server code to read a server's answer.
 */
import type { LatencySummary } from './histogram.ts';
import type { SlowConsumerPolicy } from './slow-consumer-policy.ts';

/** 3: the per-model `actor`/`mutex` parts became one generic `contention` part (and gauges' `contention`). */
export const STATS_SCHEMA_VERSION = 3;

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

/** A gauge of the model's coordination over the window (a mailbox's depth, a lock's waiters). */
export interface ContentionGauge {
  /** Metric stem, e.g. `actor_mailbox_depth` (Prometheus: `wsbench_actor_mailbox_depth`). */
  readonly name: string;
  /** What it is, in a few words (table rows, Prometheus help). */
  readonly help: string;
  readonly current: number;
  readonly max: number;
  /** Time-weighted mean over the window, when the model samples it. */
  readonly mean?: number;
}

/** Exact counts over the window, by message kind or lock operation. */
export interface ContentionCounts {
  readonly name: string;
  readonly help: string;
  /** What the keys of `byOperation` are: `kind` (the actor's messages) or `operation` (the mutex's); the /metrics label. */
  readonly label: string;
  readonly byOperation: Record<string, number>;
}

/** Sampled timings over the window, by message kind or lock operation. */
export interface ContentionTiming {
  readonly name: string;
  readonly help: string;
  readonly label: string;
  readonly byOperation: Record<string, HistogramReport>;
}

/**
 * What a model's coordination did, in one shape for every model, so that reporters and /metrics
 * need no per-model branch: the actor reports its mailbox, the mutex its lock, the baseline nothing.
 */
export interface ContentionReport {
  /** What clients contend on: `mailbox`, `lock`, or `none`. */
  readonly kind: string;
  readonly gauges: readonly ContentionGauge[];
  readonly counts?: ContentionCounts;
  /** Timings are taken for one operation in this many (counts are exact). */
  readonly timingSampleEvery: number;
  readonly timings: readonly ContentionTiming[];
}

export interface ServerStats {
  readonly schemaVersion: typeof STATS_SCHEMA_VERSION;
  /** The model's name (or a test-only model's). */
  readonly model: string;
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
  readonly contention: ContentionReport;
}

/** The few figures worth polling every second for a time series. */
export interface ServerGauges {
  readonly connections: number;
  /** Each contention gauge's current value, by name (e.g. `actor_mailbox_depth`). */
  readonly contention: Record<string, number>;
  readonly outboundQueueFullEvents: number;
  /** Totals since the server started (not reset with the window). */
  readonly policyDropped: number;
  readonly policyDisconnected: number;
  /** POST /broadcast requests the registry carried out since the server started. */
  readonly adminBroadcasts: number;
  /** Admin requests waiting for the registry now, and those refused at the cap (503) since the start; absent from servers older than the cap. */
  readonly adminWaiting?: number;
  readonly adminRefused?: number;
  /** Clients the heartbeat terminated for a missed pong since the start (absent from older servers). */
  readonly heartbeatTerminations?: number;
}

/** Stats as schema 2 wrote them (results stored before schema 3): per-model parts. */
interface StatsV2 extends Omit<ServerStats, 'schemaVersion' | 'contention'> {
  readonly schemaVersion: 2;
  readonly actor?: {
    readonly mailboxDepth: { readonly mean: number; readonly max: number; readonly current: number };
    readonly handled: Record<string, number>;
    readonly timingSampleEvery: number;
    readonly mailboxWait: Record<string, HistogramReport>;
    readonly handling: Record<string, HistogramReport>;
  };
  readonly mutex?: {
    readonly waiters: { readonly current: number; readonly max: number };
    readonly acquisitions: Record<string, number>;
    readonly timingSampleEvery: number;
    readonly lockWait: Record<string, HistogramReport>;
    readonly lockHold: Record<string, HistogramReport>;
  };
}

/** The report of a model with nothing to contend on (the baseline). */
export const NO_CONTENTION: ContentionReport = { kind: 'none', gauges: [], timingSampleEvery: 1, timings: [] };

/** Reads stats of schema 2 or 3 as schema 3, so that stored results still render. */
export function upgradeServerStats(stats: ServerStats | StatsV2): ServerStats {
  if (stats.schemaVersion === STATS_SCHEMA_VERSION) return stats;
  const { actor, mutex, ...rest } = stats;
  const contention: ContentionReport = actor
    ? {
        kind: 'mailbox',
        gauges: [{ name: 'actor_mailbox_depth', help: 'mailbox depth', ...actor.mailboxDepth }],
        counts: { name: 'actor_handled', help: 'messages handled', label: 'kind', byOperation: actor.handled },
        timingSampleEvery: actor.timingSampleEvery,
        timings: [
          { name: 'actor_mailbox_wait', help: 'mailbox wait', label: 'kind', byOperation: actor.mailboxWait },
          { name: 'actor_handling', help: 'handling', label: 'kind', byOperation: actor.handling },
        ],
      }
    : mutex
      ? {
          kind: 'lock',
          gauges: [{ name: 'mutex_waiters', help: 'lock waiters', ...mutex.waiters }],
          counts: { name: 'mutex_acquisitions', help: 'lock acquisitions', label: 'operation', byOperation: mutex.acquisitions },
          timingSampleEvery: mutex.timingSampleEvery,
          timings: [
            { name: 'mutex_lock_wait', help: 'lock wait', label: 'operation', byOperation: mutex.lockWait },
            { name: 'mutex_lock_hold', help: 'lock hold', label: 'operation', byOperation: mutex.lockHold },
          ],
        }
      : NO_CONTENTION;
  return { ...rest, schemaVersion: STATS_SCHEMA_VERSION, contention };
}

/** Gauges as schema 2 wrote them: the model's one gauge as a field of its own. */
type GaugesV2 = Omit<ServerGauges, 'contention'> & { readonly mailboxDepth?: number; readonly lockWaiters?: number };

/** Reads gauges of schema 2 or 3 as schema 3. */
export function upgradeServerGauges(gauges: ServerGauges | GaugesV2): ServerGauges {
  if ('contention' in gauges && gauges.contention) return gauges as ServerGauges;
  const { mailboxDepth, lockWaiters, ...rest } = gauges as GaugesV2;
  const contention: Record<string, number> = mailboxDepth !== undefined ? { actor_mailbox_depth: mailboxDepth } : lockWaiters !== undefined ? { mutex_waiters: lockWaiters } : {};
  return { ...rest, contention };
}
