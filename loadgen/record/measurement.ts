/**
 * One run's measurement: its parts merged. Every figure a result or a report shows comes from
 * here; `mergeMeasurements` builds it from one part or several, so that a run in one process and
 * a run split over several read the same.
 */
import { mergeEncoded, mergeHistograms, toMicros, type Histogram } from '../../common/histogram.ts';
import type { ProbeKind } from '../../common/protocol.ts';
import type { ServerStats } from '../../common/stats-schema.ts';
import type { ChurnReport } from '../drive/churn.ts';
import { settleLedgers, surplus, type DeliveryCauses, type SettledLedger } from './ledger.ts';
import type { PartialMeasurement, PhaseDurations, PolicyEffect, RoleCounts } from './partial.ts';
import { reportPhases, type PhaseReport } from './phase-stats.ts';
import { judgeSelfCheck, type SelfCheckReport } from './self-check.ts';
import { detectStall, type StallReport } from './stall.ts';
import { mergeSamples, type TimeSeriesSample } from './time-series.ts';
import { mergeReceiverTimes } from './receiver-times.ts';
import type { FaultSite } from '../../common/fault.ts';

export interface MeasuredCounters {
  /** Measured probes sent, and the deliveries they called for. */
  readonly sent: number;
  readonly expected: number;
  /** Measured probes received (extra ones included). */
  readonly received: number;
  /** Frames that were neither a probe nor a control frame. */
  readonly unexpected: number;
  readonly broadcasts: number;
  readonly broadcastsExpected: number;
  /** Broadcast deliveries their probe called for (surplus ones left out). */
  readonly broadcastsDelivered: number;
  /** Broadcasts whose every delivery arrived. */
  readonly fanoutsCompleted: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorTotal: number;
}

export interface MeasuredHistograms {
  /** Every measured delivery. */
  readonly latency: Histogram;
  readonly latencyByKind: Readonly<Record<ProbeKind, Histogram>>;
  /** Per completed broadcast, from the sender's timestamp to its delivery at the last receiver. */
  readonly fanout: Histogram;
  readonly handshake: Histogram;
}

export interface Measurement {
  readonly counters: MeasuredCounters;
  readonly histograms: MeasuredHistograms;
  /** Expected deliveries of measured probes still missing after the drain. */
  readonly lost: number;
  /**
   * Of every missing delivery, those the scenario causes on purpose: of probes sent from shortly
   * before an injected fault on, and at the clients it stopped reading — under a policy that drops
   * or disconnects, at most what the server says it dropped and refused (under `await` nothing is
   * dropped, so nothing there is excused); with a server that reports no policy, all of them.
   */
  readonly lostExcused: number;
  /**
   * Missing measured deliveries recorded in the latency histograms (by kind), and broadcasts that
   * missed a receiver recorded in the fan-out one, at `atMs`: the drain timeout, or the histogram's
   * own maximum when that is higher — lower bounds of their latency, so a loss only makes a
   * percentile worse.
   */
  readonly censored: { readonly atMs: number; readonly deliveries: number; readonly fanouts: number };
  /** The same for probes sent during warm-up (not counted elsewhere, never excused). */
  readonly lostInWarmup: number;
  /** Deliveries the warm-up probes called for. */
  readonly warmupExpected: number;
  /** Deliveries beyond what their probe called for, of every cause (warm-up included). */
  readonly extra: number;
  /** Surplus and missing deliveries per (probe, receiver), by cause: measured probes and warm-up ones. */
  readonly deliveryCauses: { readonly measured: DeliveryCauses; readonly warmup: DeliveryCauses };
  /** Clients open when the traffic phase began. */
  readonly clientsOpen: number;
  readonly clientsFailed: number;
  /** Clients the server closed (or that dropped) during the run. */
  readonly clientsLost: number;
  /** Clients whose closing handshake did not finish in time and were terminated. */
  readonly closesForced: number;
  readonly phasesMs: PhaseDurations;
  /** Measured-phase length in ns, for rates. */
  readonly trafficNs: number;
  /** ns from the start of the measured phase to the last measured probe received (0 when none). */
  readonly receiveSpanNs: number;
  readonly selfCheck: SelfCheckReport;
  readonly timeSeries: readonly TimeSeriesSample[];
  /** The server's metrics over the measured phase, when it has them. */
  readonly server: ServerStats | undefined;
  /** The measured traffic phase by phase. */
  readonly phases: readonly PhaseReport[];
  /** Set when the server stopped answering for two seconds or more of the measured phase. */
  readonly stall: StallReport | undefined;
  /** What the server's slow-consumer policy did during the run (when the server reports it). */
  readonly policy: PolicyEffect | undefined;
  /** Send-to probes the server refused because the target had gone (`unknown-client`). */
  readonly refused: number;
  /** Registry size (GET /clients/count) after the drain, next to the clients we had open; and after all left. */
  readonly registry: { readonly openBeforeClose: number; readonly countBeforeClose: number | undefined; readonly countAfterClose: number | undefined };
  readonly churn: ChurnReport | undefined;
  /** Frames of POST /broadcast (HTTP side traffic) received by the clients. */
  readonly adminBroadcastsReceived: number;
  /** POST /broadcast requests the server carried out during the run (when it reports them). */
  readonly adminBroadcastsServed: number | undefined;
  /** How many clients had each role. */
  readonly roles: RoleCounts;
  /** The fault-isolation experiment, when the run injected its fault. */
  readonly fault: FaultReport | undefined;
}

/** What the other clients saw after the fault-isolation experiment's fault. */
export interface FaultReport {
  readonly site: FaultSite;
  /** Seconds into the measured phase. */
  readonly atSecond: number;
  /** The client that sent the fault frame. */
  readonly client: number;
  /** Clients (the faulty one apart) that got measured probes sent before the fault. */
  readonly activeBefore: number;
  /** Of those, the clients that got a probe sent after the fault: still served. */
  readonly servedAfter: number;
  /** Whole measured seconds after the fault (each begun at or after it), and those of them in which less than 90% of what was sent came back. */
  readonly secondsAfter: number;
  readonly secondsDisrupted: number;
  /** Registry entries with no client behind them after the drain; null when the registry could not be counted. */
  readonly ghosts: number | null;
  /** Copies of the fault frame the clients got (a broadcast that failed halfway: about half of them). */
  readonly faultFramesReceived: number;
}

/** A second counts as served when this share of what was sent in it came back in it. */
const SERVED_SHARE = 0.9;

/** Merges the parts of one run: counts added, histograms and ledgers merged, durations the longest. */
export function mergeMeasurements(parts: readonly PartialMeasurement[]): Measurement {
  if (parts.length === 0) throw new Error('mergeMeasurements needs at least one partial measurement');
  const sum = (pick: (p: PartialMeasurement) => number): number => parts.reduce((total, p) => total + pick(p), 0);
  const longest = (pick: (p: PartialMeasurement) => number): number => Math.max(...parts.map(pick));
  const firstSeqs = parts.flatMap((p) => (p.firstMeasuredSeq === null ? [] : [p.firstMeasuredSeq]));
  const faultPart = parts.find((p) => p.fault);
  const settled = settleLedgers(
    parts.map((p) => p.ledger),
    firstSeqs.length > 0 ? Math.min(...firstSeqs) : Number.POSITIVE_INFINITY,
    {
      stoppedReaders: new Set(parts.flatMap((p) => p.stoppedReaders ?? [])),
      // The stopped readers read during the warm-up: a loss there is the server's.
      ...(firstSeqs.length > 0 && { stoppedFromSeq: Math.min(...firstSeqs) }),
      ...(faultPart?.fault?.excuseLossFromSeq !== undefined && { faultFromSeq: faultPart.fault.excuseLossFromSeq }),
    },
  );
  const errors = mergeErrors(parts, settled.measured, settled.warmup);
  const { censorAtMs, ...histograms } = mergeHistogramsOf(parts, settled, longest((p) => p.drainTimeoutMs ?? 0));
  const timeSeries = mergeSamples(parts.map((p) => p.timeSeries));
  const server = parts.find((p) => p.server)?.server;
  const churns = parts.flatMap((p) => (p.churn ? [p.churn] : []));
  return {
    counters: {
      sent: sum((p) => p.counters.sent),
      expected: sum((p) => p.counters.expected),
      received: sum((p) => p.counters.received),
      unexpected: sum((p) => p.counters.unexpected),
      broadcasts: sum((p) => p.counters.broadcasts),
      broadcastsExpected: sum((p) => p.counters.broadcastsExpected),
      broadcastsDelivered: settled.broadcastsDelivered,
      fanoutsCompleted: settled.fanoutsCompleted,
      errors,
      errorTotal: Object.values(errors).reduce((total, n) => total + n, 0),
    },
    histograms,
    lost: settled.measured.missing,
    lostInWarmup: settled.warmup.missing,
    lostExcused: excusedLoss(settled, server?.policy, errors['server:unknown-client'] ?? 0),
    censored: { atMs: censorAtMs, deliveries: settled.censored.echo + settled.censored.broadcast + settled.censored['send-to'], fanouts: settled.censored.fanout },
    warmupExpected: sum((p) => p.counters.warmupExpected),
    extra: surplus(settled.measured) + surplus(settled.warmup),
    deliveryCauses: { measured: settled.measured, warmup: settled.warmup },
    clientsOpen: sum((p) => p.clients.openAtStart),
    clientsFailed: sum((p) => p.clients.requested - p.clients.connected),
    clientsLost: sum((p) => p.clientsLost),
    closesForced: sum((p) => p.clients.closesForced),
    phasesMs: {
      connect: longest((p) => p.phasesMs.connect),
      warmup: longest((p) => p.phasesMs.warmup),
      measure: longest((p) => p.phasesMs.measure),
      drain: longest((p) => p.phasesMs.drain),
      close: longest((p) => p.phasesMs.close),
    },
    trafficNs: longest((p) => p.trafficNs),
    receiveSpanNs: longest((p) => p.receiveSpanNs),
    selfCheck: judgeSelfCheck(parts.map((p) => p.selfCheck)),
    timeSeries,
    server: server?.stats,
    phases: reportPhases(
      parts.map((p) => p.phases),
      timeSeries,
      histograms.latency,
    ),
    stall: detectStall(timeSeries),
    policy: server?.policy,
    refused: errors['server:unknown-client'] ?? 0,
    registry: { openBeforeClose: sum((p) => p.clients.openBeforeClose), countBeforeClose: server?.countBeforeClose, countAfterClose: server?.countAfterClose },
    churn: churns.length === 0 ? undefined : { left: churns.reduce((n, c) => n + c.left, 0), joined: churns.reduce((n, c) => n + c.joined, 0), joinsFailed: churns.reduce((n, c) => n + c.joinsFailed, 0) },
    adminBroadcastsReceived: sum((p) => p.counters.adminBroadcastsReceived),
    adminBroadcastsServed: server?.adminBroadcastsServed,
    roles: {
      publisher: sum((p) => p.roles.publisher),
      stoppedReaders: sum((p) => p.roles.stoppedReaders),
      senders: sum((p) => p.roles.senders),
    },
    fault: faultReport(parts, timeSeries, server),
  };
}

function faultReport(parts: readonly PartialMeasurement[], samples: readonly TimeSeriesSample[], server: PartialMeasurement['server']): FaultReport | undefined {
  const fault = parts.find((p) => p.fault)?.fault;
  if (!fault) return undefined;
  const times = mergeReceiverTimes(parts.flatMap((p) => (p.receivers ? [p.receivers] : [])));
  let activeBefore = 0;
  let servedAfter = 0;
  for (let client = 0; client < times.first.length; client++) {
    if (client === fault.client || !(times.first[client]! < fault.atNs)) continue;
    activeBefore++;
    if (times.last[client]! > fault.atNs) servedAfter++;
  }
  // Seconds are the ticker's (ending at t); only those wholly after the fault count, so the second
  // the fault fell in, half before and half after it, never decides.
  const faultT = parts[0]!.phasesMs.warmup / 1000 + fault.msIntoMeasure / 1000;
  const after = samples.filter((s) => s.phase === 'measure' && s.t - 1 >= faultT - 0.05);
  const disrupted = after.filter((s) => s.sent > 0 && s.received < s.sent * SERVED_SHARE).length;
  const openBeforeClose = parts.reduce((n, p) => n + p.clients.openBeforeClose, 0);
  return {
    site: fault.site,
    atSecond: fault.msIntoMeasure / 1000,
    client: fault.client,
    activeBefore,
    servedAfter,
    secondsAfter: after.length,
    secondsDisrupted: disrupted,
    ghosts: server?.countBeforeClose === undefined ? null : Math.max(0, server.countBeforeClose - openBeforeClose),
    faultFramesReceived: parts.reduce((n, p) => n + p.counters.faultFramesReceived, 0),
  };
}

/** The error cause each surplus delivery counts under. */
export const SURPLUS_ERRORS = {
  duplicate: 'duplicate-delivery',
  toSender: 'broadcast-to-sender',
  wrongReceiver: 'delivery-to-wrong-client',
  unknownProbe: 'delivery-of-unknown-probe',
} as const satisfies Partial<Record<keyof DeliveryCauses, string>>;

/** Errors by cause, added over the parts, with the ledger's surplus deliveries named by their cause. */
function mergeErrors(parts: readonly PartialMeasurement[], measured: DeliveryCauses, warmup: DeliveryCauses): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const part of parts) for (const [cause, n] of Object.entries(part.counters.errors)) errors[cause] = (errors[cause] ?? 0) + n;
  for (const [key, name] of Object.entries(SURPLUS_ERRORS) as [keyof typeof SURPLUS_ERRORS, string][]) {
    const n = measured[key] + warmup[key];
    if (n > 0) errors[name] = n;
  }
  return errors;
}

/**
 * Loss at the stopped readers is excused as far as the server's policy accounts for it: a server
 * that reports its policy's drops and refusals is believed up to their sum (under `await`, zero);
 * one that reports no policy cannot be checked, and all of it is excused. Loss after the fault is.
 */
function excusedLoss(settled: SettledLedger, policy: PolicyEffect | undefined, refused: number): number {
  const atStopped = settled.measured.missingAtStopped + settled.warmup.missingAtStopped;
  const afterFault = settled.measured.missingAfterFault + settled.warmup.missingAfterFault;
  const allowed = policy === undefined ? atStopped : Math.min(atStopped, policy.dropped + refused);
  return allowed + afterFault;
}

/**
 * Each kind's deliveries, with its lost ones censored: recorded at the drain timeout, or at the
 * histogram's own maximum when that is higher (a stalled server's late replies can outlast the
 * drain), so that a loss can only raise a percentile. Returns the value used, in ms.
 */
function mergeHistogramsOf(parts: readonly PartialMeasurement[], settled: SettledLedger, drainMs: number): MeasuredHistograms & { censorAtMs: number } {
  const drainUs = toMicros(Math.max(1, drainMs) * 1e6);
  let censorUs = drainUs;
  const withCensored = (h: Histogram, n: number): Histogram => {
    if (n > 0) {
      const at = Math.max(drainUs, h.totalCount > 0 ? h.maxValue : 0);
      censorUs = Math.max(censorUs, at);
      h.recordValueWithCount(at, n);
    }
    return h;
  };
  const kind = (k: ProbeKind): Histogram => withCensored(mergeEncoded(parts.map((p) => p.counters.latencyByKind[k])), settled.censored[k]);
  const fanout = withCensored(settled.fanout, settled.censored.fanout);
  const latencyByKind = { echo: kind('echo'), broadcast: kind('broadcast'), 'send-to': kind('send-to') };
  return {
    latency: mergeHistograms(Object.values(latencyByKind)),
    latencyByKind,
    fanout,
    handshake: mergeEncoded(parts.map((p) => p.counters.handshake)),
    censorAtMs: censorUs / 1000,
  };
}
