/**
 * A partial measurement: what one part of a run recorded, as JSON (every histogram and the
 * ledger encoded), so that parts recorded apart — today the one load-generator process, later
 * several — can be stored, shipped and merged without loss (`mergeMeasurements`).
 */
import type { ServerStats } from '../../common/stats-schema.ts';
import type { ChurnReport } from '../drive/churn.ts';
import type { EncodedCounters } from './counters.ts';
import type { EncodedLedger } from './ledger.ts';
import type { EncodedPhaseStats } from './phase-stats.ts';
import type { EncodedSelfCheck } from './self-check.ts';
import type { PartSample } from './time-series.ts';
import type { EncodedReceiverTimes } from './receiver-times.ts';
import type { FaultSite } from '../../common/fault.ts';

export const PARTIAL_SCHEMA_VERSION = 1;

export interface PhaseDurations {
  readonly connect: number;
  readonly warmup: number;
  readonly measure: number;
  readonly drain: number;
  readonly close: number;
}

export interface RoleCounts {
  readonly publisher: number;
  readonly stoppedReaders: number;
  readonly senders: number;
}

export interface PolicyEffect {
  readonly name: string;
  readonly dropped: number;
  readonly disconnected: number;
}

/** What the part that talks to the server's HTTP side saw of it (one part per run). */
export interface ServerFacts {
  /** The server's metrics over the measured phase. */
  readonly stats?: ServerStats;
  /** What the slow-consumer policy did during the run. */
  readonly policy?: PolicyEffect;
  /** POST /broadcast requests the server carried out during the run. */
  readonly adminBroadcastsServed?: number;
  /** Registry size after the drain, and after every client left (undefined when unreadable). */
  readonly countBeforeClose?: number;
  readonly countAfterClose?: number;
}

/** What the coordinator of a part knows once it is over. */
export interface PartFacts {
  readonly clients: {
    readonly requested: number;
    readonly connected: number;
    /** Open when the traffic began, and after the drain. */
    readonly openAtStart: number;
    readonly openBeforeClose: number;
    /** Closes that did not finish in time and were forced. */
    readonly closesForced: number;
  };
  readonly roles: RoleCounts;
  /** Client indexes of the clients the scenario stopped reading: loss at them is the scenario's, not the server's. */
  readonly stoppedReaders?: readonly number[];
  /** How long the drain waited for outstanding deliveries: the latency at which a lost one is censored. */
  readonly drainTimeoutMs?: number;
  readonly phasesMs: PhaseDurations;
  /** Length of the measured phase, ns. */
  readonly trafficNs: number;
  readonly churn?: ChurnReport;
  readonly server?: ServerFacts;
}

export interface PartialMeasurement extends PartFacts {
  readonly schemaVersion: typeof PARTIAL_SCHEMA_VERSION;
  /** Probes numbered from here on were sent in the measured phase (null when it never began). */
  readonly firstMeasuredSeq: number | null;
  /** ns from the start of the measured phase to the last measured probe received here (0 when none). */
  readonly receiveSpanNs: number;
  /** Clients the server closed, or that dropped, during the run. */
  readonly clientsLost: number;
  readonly counters: EncodedCounters;
  readonly ledger: EncodedLedger;
  readonly phases: EncodedPhaseStats;
  readonly timeSeries: readonly PartSample[];
  readonly selfCheck: EncodedSelfCheck;
  /** The fault-isolation experiment's fault, from the part that sent it. */
  readonly fault?: { readonly atNs: number; readonly msIntoMeasure: number; readonly client: number; readonly site: FaultSite; readonly excuseLossFromSeq?: number };
  /** Per receiver, the send times of the first and last measured probes it got (when tracked). */
  readonly receivers?: EncodedReceiverTimes;
}
