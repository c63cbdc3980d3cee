/**
 * The result of one bench run: a typed object with a versioned schema, written as JSON after each
 * run (documented in results/README.md). A run that failed is a result too, with its error.
 */
import os from 'node:os';
import { encodeHistogram, summarize, type LatencySummary } from '../common/histogram.ts';
import type { ModelName } from '../common/models.ts';
import type { BenchPlan, LoadPlan } from './plan.ts';
import type { ProbeKind } from '../common/protocol.ts';
import type { ServerStats } from '../common/stats-schema.ts';
import type { Phase } from './runner.ts';
import type { FaultReport, Measurement } from './record/measurement.ts';
import { addCauses } from './record/ledger.ts';
import { EXIT, exitCodeForSignal } from '../common/exit-codes.ts';
import type { InterruptSignal } from '../common/result-states.ts';
import type { SelfCheckReport } from './record/self-check.ts';
import type { TimeSeriesSample } from './record/time-series.ts';
import type { PhaseReport } from './record/phase-stats.ts';
import type { StallReport } from './record/stall.ts';
import type { ChurnReport } from './drive/churn.ts';
import type { HttpReport } from './http-load.ts';
import type { PrimaryMetric } from './scenario.ts';
import type { NetworkFaults, ProxyStats } from '../common/network-faults.ts';
import { currentRuntime, runtimeLabel } from '../common/runtime.ts';

/**
 * 2: adds latencyByKind, fanout, selfCheck, server, timeSeries, warm-up fields.
 * 3: adds trafficPhases, stall, accounting, registry, roles, churn, http, slowConsumerPolicy.
 * 4: adds the `interrupted` state (its `interruption` and `partial` figures).
 * 5: the server stats inside are stats schema 3 (one generic `contention` part), and so are the gauges of `timeSeries`;
 *    `accounting.byCause` (per (probe, receiver) causes); surplus deliveries are errors by cause, not `extra-delivery`.
 *    A `failed` result may carry `partial` figures too (a server that died mid-run) — optional, so still 5.
 * 6: an empty latency summary's figures are null (were 0); lost deliveries are censored into the
 *    latency histograms at the drain timeout, or the histogram's max when higher (`censoring`); `integrity` (clean or faulty,
 *    and why); `accounting.excused`; `balanced` is false when any delivery was surplus. A run in
 *    which no client connected, or nothing was answered, or every connection dropped, is `failed`.
 */
export const RESULT_SCHEMA_VERSION = 6;

export interface Environment {
  readonly node: string;
  /** V8's version (process.versions.v8); absent in results written before 2026-12-06. */
  readonly v8?: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly totalMemoryBytes: number;
  readonly hostname: string;
}

interface ResultHeader {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The exact command line and the options it resolved to. */
  readonly command: { readonly argv: readonly string[]; readonly options: Record<string, unknown> };
  readonly environment: Environment;
  /** The model a spawned server ran, or 'external' for --target. */
  readonly model: ModelName | 'external';
  readonly target: string;
  readonly scenario: { readonly name: string; readonly description: string; readonly probes: string; readonly claim: string; readonly primaryMetric?: PrimaryMetric };
  readonly load: Omit<LoadPlan, 'url'>;
}

export interface CompletedResult extends ResultHeader, MeasuredFigures {
  readonly status: 'completed';
}

/** The figures of a run that measured: all of a completed run's, or those of an interrupted one so far. */
export interface MeasuredFigures {
  /** `loadgen-saturated` when the load generator could not keep up: then no figure is the server's. */
  readonly verdict: 'ok' | 'loadgen-saturated';
  readonly mode: LoadPlan['mode']['kind'];
  readonly connections: {
    readonly requested: number;
    readonly open: number;
    readonly failed: number;
    readonly lostDuringRun: number;
    readonly closesForced: number;
    /** Completed handshakes per second of the connect phase. */
    readonly handshakesPerSec: number;
    /** Handshake latency in µs. */
    readonly handshake: LatencySummary;
    readonly handshakeHistogram: string;
  };
  readonly messages: {
    readonly sent: number;
    readonly expected: number;
    readonly received: number;
    /** Expected deliveries still missing after the drain period, counted per probe. */
    readonly lost: number;
    /** Expected deliveries of warm-up probes still missing (warm-up is not counted, losses are never excused). */
    readonly lostInWarmup: number;
    /** Deliveries beyond what their probe called for: duplicates, or a broadcast back to its sender. */
    readonly extra: number;
    readonly unexpected: number;
    readonly sentPerSec: number;
    readonly receivedPerSec: number;
  };
  /**
   * Whether the server delivered what it was sent, and only that: `faulty` when a delivery went
   * missing that the scenario did not cause, or came twice, to the wrong client, back to its
   * sender, or altered. A faulty run's latency is not a finding (compare gives it no verdict).
   */
  readonly integrity: Integrity;
  /** Lost deliveries, excused or not, and broadcasts that missed a receiver, counted in the latency histograms at `atMs` (the drain timeout, or a histogram's max when higher): lower bounds. */
  readonly censoring: { readonly atMs: number; readonly deliveries: number; readonly fanouts: number };
  /** Per-delivery latency in µs, from the probe's (scheduled, in open loop) send time; lost deliveries censored (above). */
  readonly latency: LatencySummary;
  readonly latencyHistogram: string;
  /** The same, by message kind (kinds that were sent). */
  readonly latencyByKind: Partial<Record<ProbeKind, { readonly summary: LatencySummary; readonly histogram: string }>>;
  /** Broadcast fan-out: deliveries expected and delivered, and time to the last receiver (µs). */
  readonly fanout?: {
    readonly broadcasts: number;
    readonly completed: number;
    readonly expectedDeliveries: number;
    readonly delivered: number;
    readonly completion: LatencySummary;
    readonly completionHistogram: string;
  };
  /** Whether the load generator kept up; when saturated, no figure here is the server's. */
  readonly selfCheck: SelfCheckReport;
  /** The server's own metrics over the measured phase, read before the drain (absent when it has none). */
  readonly server?: ServerStats;
  /** One sample per second of traffic. */
  readonly timeSeries: readonly TimeSeriesSample[];
  readonly errors: { readonly total: number; readonly byCause: Record<string, number> };
  readonly phasesMs: Measurement['phasesMs'];
  /** The measured traffic phase by phase (one phase unless the scenario has several). */
  readonly trafficPhases: readonly PhaseReport[];
  /** Present when the server stopped answering for 2 s or more of the measured phase. */
  readonly stall?: StallReport;
  /**
   * Where every expected delivery of the run (warm-up and measured probes) went: delivered,
   * dropped by the server's slow-consumer policy, refused because the target had gone, or lost.
   * `balanced` when nothing is unexplained; null figures when the server does not report its
   * policy's counts.
   */
  readonly accounting: {
    readonly expected: number;
    readonly delivered: number;
    /** Lost deliveries the scenario causes on purpose: at clients it stopped reading, around an injected fault. */
    readonly excused: number;
    readonly droppedByPolicy: number | null;
    readonly refusedTargetGone: number;
    readonly lost: number;
    readonly unexplained: number | null;
    readonly balanced: boolean | null;
    /**
     * Per (probe, receiver), over the whole run: receivers that never got their copy, copies a
     * receiver got more than once, broadcasts back to their sender, copies at a client they were
     * not for, deliveries of probes this run never sent.
     */
    readonly byCause: { readonly missing: number; readonly duplicate: number; readonly toSender: number; readonly wrongReceiver: number; readonly unknownProbe: number };
  };
  /** The server's slow-consumer policy and what it did during the run. */
  readonly slowConsumerPolicy?: { readonly name: string; readonly dropped: number; readonly disconnected: number };
  /** The registry's size after the drain (vs our clients still open) and after every client left. */
  readonly registry: Measurement['registry'] & { readonly emptyAfterClose: boolean | null };
  readonly roles: Measurement['roles'];
  readonly churn?: ChurnReport;
  /** HTTP side traffic on the admin routes (autocannon), when the scenario has it. */
  readonly http?: HttpReport;
  /** The fault-isolation experiment: what the other clients saw after the injected fault. */
  readonly fault?: FaultReport;
  /** The fault proxies the clients went through (a scenario's `network`): what they did. */
  readonly network?: NetworkReport;
}

export interface Integrity {
  readonly verdict: 'clean' | 'faulty';
  /** One phrase per kind of fault, e.g. "lost 2.0% of deliveries (1,600 of 80,000)"; empty when clean. */
  readonly problems: readonly string[];
  /** Lost deliveries the scenario explains: excused (above) or refused because their target had left (the larger: they can overlap). */
  readonly expectedLoss: number;
  /** Every other lost delivery (warm-up included: losses are never excused by timing). */
  readonly unexpectedLoss: number;
  /** Deliveries beyond what their probe called for: duplicates, back to the sender, to the wrong client, of no probe sent. */
  readonly surplus: number;
  /** Frames that were neither a probe nor a control frame: altered on the way. */
  readonly altered: number;
}

export interface NetworkReport {
  readonly faults: NetworkFaults;
  /** In words, for reports. */
  readonly described: string;
  readonly proxies: number;
  readonly clientsPerProxy: number;
  /** Each proxy's counts (undefined for one that died). */
  readonly stats: readonly (ProxyStats | undefined)[];
}

export interface FailedResult extends ResultHeader {
  readonly status: 'failed';
  readonly error: { readonly code: string; readonly message: string };
  /** What was measured before the failure, when the run got that far (the server died mid-run). */
  readonly partial?: MeasuredFigures;
}

/**
 * A run stopped by SIGINT or SIGTERM. It carries what was measured before the stop, in the shape of
 * a completed run's figures (which then cover only the part that ran), when the traffic had begun.
 */
export interface InterruptedResult extends ResultHeader {
  readonly status: 'interrupted';
  readonly interruption: { readonly signal: InterruptSignal; readonly phase: Phase; readonly exitCode: number };
  readonly partial?: MeasuredFigures;
}

export type BenchResult = CompletedResult | FailedResult | InterruptedResult;

/** The model as a label: its name with its own options, e.g. `mutex:lock=async-mutex`. */
export function modelLabel(result: BenchResult): string {
  const server = result.command.options.server as { modelOptions?: Record<string, string> } | undefined;
  return [result.model, ...Object.entries(server?.modelOptions ?? {}).map(([k, v]) => `${k}=${v}`)].join(':');
}

/** One line for a run that did not complete: why it failed, or where a signal stopped it. */
export function unfinishedSummary(result: FailedResult | InterruptedResult): string {
  return result.status === 'failed' ? `FAILED: ${result.error.message}` : `INTERRUPTED by ${result.interruption.signal} during ${result.interruption.phase}`;
}

/** Each state's exit code, from the one table in common/. */
export function exitCodeForResult(result: BenchResult): number {
  switch (result.status) {
    case 'completed':
      return EXIT.success;
    case 'failed':
      return EXIT.runFailed;
    case 'interrupted':
      return result.interruption.exitCode;
  }
}

export function describeEnvironment(): Environment {
  const cpus = os.cpus();
  return {
    ...currentRuntime(),
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    totalMemoryBytes: os.totalmem(),
    hostname: os.hostname(),
  };
}

/** "2 × AMD EPYC 7B13, Node v26.10.0 (V8 14.6.202.34)": the machine and runtime a figure came from. */
export function machineLabel(e: Pick<Environment, 'cpus' | 'cpuModel' | 'node' | 'v8'>): string {
  return `${e.cpus} × ${e.cpuModel}, ${runtimeLabel(e)}`;
}

/**
 * The machine and runtime of several results: one label when they agree, else each one's with the
 * runs (named) that had it, since a difference between those runs may then be the machine's or the
 * runtime's.
 */
export function machinesLabel(runs: readonly { readonly name: string; readonly environment: Environment }[]): string {
  const groups = new Map<string, { label: string; names: Set<string> }>();
  for (const r of runs) {
    const label = machineLabel(r.environment);
    const group = groups.get(`${r.environment.hostname}\n${label}`) ?? { label, names: new Set<string>() };
    group.names.add(r.name);
    groups.set(`${r.environment.hostname}\n${label}`, group);
  }
  const list = [...groups.values()];
  if (list.length <= 1) return list[0]?.label ?? machineLabel(describeEnvironment());
  return `the runs were made on different machines or runtimes, so their differences include those: ${list.map((g) => `${[...g.names].join(', ')} on ${g.label}`).join('; ')}`;
}

export interface RunContext {
  readonly runId: string;
  readonly startedAt: Date;
  readonly argv: readonly string[];
  readonly plan: BenchPlan;
  readonly target: string;
}

function header(context: RunContext): ResultHeader {
  const { plan } = context;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: context.runId,
    startedAt: context.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: { argv: context.argv, options: { server: plan.server, scenario: plan.scenario.name, ...plan.load } },
    environment: describeEnvironment(),
    model: plan.server.kind === 'spawn' ? plan.server.model : 'external',
    target: context.target,
    scenario: { name: plan.scenario.name, description: plan.scenario.description, probes: plan.scenario.probes, claim: plan.scenario.claim, primaryMetric: plan.scenario.primaryMetric },
    load: plan.load,
  };
}

export function completedResult(context: RunContext, m: Measurement, http?: HttpReport, network?: NetworkReport): CompletedResult {
  return { ...header(context), status: 'completed', ...measuredFigures(context, m, http), ...(network && { network }) };
}

/** A run stopped by a signal in `phase`, with what it had measured (when the traffic had begun). */
export function interruptedResult(context: RunContext, signal: InterruptSignal, phase: Phase, m?: Measurement): InterruptedResult {
  return {
    ...header(context),
    status: 'interrupted',
    interruption: { signal, phase, exitCode: exitCodeForSignal(signal) },
    ...(m && { partial: measuredFigures(context, m) }),
  };
}

function measuredFigures(context: RunContext, m: Measurement, http?: HttpReport): MeasuredFigures {
  const c = m.counters;
  const h = m.histograms;
  const perSec = (count: number, ns: number): number => (ns > 0 ? Math.round((count / ns) * 1e9 * 10) / 10 : 0);
  return {
    verdict: m.selfCheck.saturated ? 'loadgen-saturated' : 'ok',
    mode: context.plan.load.mode.kind,
    connections: {
      requested: context.plan.load.clients,
      open: m.clientsOpen,
      failed: m.clientsFailed,
      lostDuringRun: m.clientsLost,
      closesForced: m.closesForced,
      handshakesPerSec: perSec(m.clientsOpen, m.phasesMs.connect * 1e6),
      handshake: summarize(h.handshake),
      handshakeHistogram: encodeHistogram(h.handshake),
    },
    messages: {
      sent: c.sent,
      expected: c.expected,
      received: c.received,
      lost: m.lost,
      lostInWarmup: m.lostInWarmup,
      extra: m.extra,
      unexpected: c.unexpected,
      sentPerSec: perSec(c.sent, m.trafficNs),
      receivedPerSec: perSec(c.received, Math.max(m.trafficNs, m.receiveSpanNs)),
    },
    integrity: judgeIntegrity(c.expected + m.warmupExpected, m),
    censoring: m.censored,
    latency: summarize(h.latency),
    latencyHistogram: encodeHistogram(h.latency),
    latencyByKind: Object.fromEntries(
      Object.entries(h.latencyByKind)
        .filter(([, kind]) => kind.totalCount > 0)
        .map(([name, kind]) => [name, { summary: summarize(kind), histogram: encodeHistogram(kind) }]),
    ),
    ...(c.broadcasts > 0 && {
      fanout: {
        broadcasts: c.broadcasts,
        completed: c.fanoutsCompleted,
        expectedDeliveries: c.broadcastsExpected,
        delivered: c.broadcastsDelivered,
        completion: summarize(h.fanout),
        completionHistogram: encodeHistogram(h.fanout),
      },
    }),
    selfCheck: m.selfCheck,
    ...(m.server && { server: m.server }),
    timeSeries: m.timeSeries,
    errors: { total: c.errorTotal, byCause: Object.fromEntries(Object.entries(c.errors).sort(([a], [b]) => a.localeCompare(b))) },
    phasesMs: m.phasesMs,
    trafficPhases: m.phases,
    ...(m.stall && { stall: m.stall }),
    accounting: account(c.expected + m.warmupExpected, m),
    ...(m.policy && { slowConsumerPolicy: m.policy }),
    registry: { ...m.registry, emptyAfterClose: m.registry.countAfterClose === undefined ? null : m.registry.countAfterClose === 0 },
    roles: m.roles,
    ...(m.churn && { churn: m.churn }),
    ...(http && { http }),
    ...(m.fault && { fault: m.fault }),
  };
}

/** Over the whole run (warm-up and measured probes): the server's drop and refusal counts cover both. */
function account(expected: number, m: Measurement): MeasuredFigures['accounting'] {
  const lost = m.lost + m.lostInWarmup;
  const dropped = m.policy ? m.policy.dropped : null;
  const unexplained = dropped === null ? null : lost - dropped - m.refused;
  const { missing, duplicate, toSender, wrongReceiver, unknownProbe } = addCauses(m.deliveryCauses.measured, m.deliveryCauses.warmup);
  const byCause = { missing, duplicate, toSender, wrongReceiver, unknownProbe };
  // A surplus delivery is never balanced, whatever the losses.
  const surplusFree = m.extra === 0;
  return {
    byCause,
    expected,
    delivered: expected - lost,
    excused: m.lostExcused,
    droppedByPolicy: dropped,
    refusedTargetGone: m.refused,
    lost,
    unexplained,
    balanced: !surplusFree ? false : unexplained === null ? (lost === 0 && m.refused === 0 ? true : null) : unexplained === 0,
  };
}

const count = (n: number): string => n.toLocaleString('en-US');
/** A share to one decimal, never rounded to 0: one lost delivery in 90,000 reads "under 0.1%". */
const share = (n: number, of: number): string => (of <= 0 ? '100.0%' : n > 0 && (n / of) * 100 < 0.05 ? 'under 0.1%' : `${((n / of) * 100).toFixed(1)}%`);

/** Clean, or faulty with every reason: loss the scenario does not explain, surplus, altered frames. */
export function judgeIntegrity(expected: number, m: Pick<Measurement, 'lost' | 'lostInWarmup' | 'lostExcused' | 'refused' | 'extra' | 'deliveryCauses' | 'counters'>): Integrity {
  const lost = m.lost + m.lostInWarmup;
  // Refusals (send-to a client that had left) and excused loss can be the same deliveries (a
  // stopped reader the server disconnected): the larger of the two, never their sum.
  const expectedLoss = Math.min(lost, Math.max(m.lostExcused, m.refused));
  const unexpectedLoss = lost - expectedLoss;
  const altered = m.counters.unexpected;
  const c = addCauses(m.deliveryCauses.measured, m.deliveryCauses.warmup);
  const problems = [
    unexpectedLoss > 0 ? `lost ${share(unexpectedLoss, expected)} of deliveries (${count(unexpectedLoss)} of ${count(expected)})` : '',
    c.duplicate > 0 ? `${count(c.duplicate)} duplicate deliveries` : '',
    c.toSender > 0 ? `${count(c.toSender)} broadcasts back to their sender` : '',
    c.wrongReceiver > 0 ? `${count(c.wrongReceiver)} deliveries to the wrong client` : '',
    c.unknownProbe > 0 ? `${count(c.unknownProbe)} deliveries of probes never sent` : '',
    altered > 0 ? `${count(altered)} altered frames` : '',
  ].filter((p) => p !== '');
  return { verdict: problems.length > 0 ? 'faulty' : 'clean', problems, expectedLoss, unexpectedLoss, surplus: m.extra, altered };
}

/** A run that could not go on, with what it had measured when it stopped (the server died mid-run), if anything. */
export function failedResult(context: RunContext, error: unknown, m?: Measurement): FailedResult {
  const code = (error as { code?: unknown })?.code;
  return {
    ...header(context),
    status: 'failed',
    error: { code: typeof code === 'string' ? code : 'ERR_RUN_FAILED', message: error instanceof Error ? error.message : String(error) },
    ...(m && { partial: measuredFigures(context, m) }),
  };
}
