/**
 * The one place that turns options into a run: typed bench options (bench-options.ts) and a
 * scenario file become a BenchPlan, after every check. Anything wrong throws one UsageError that
 * names every problem.
 */
import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD } from '../common/server-defaults.ts';
import type { ServerSettings } from '../common/server-settings.ts';
import type { CompressionSettings } from '../common/compression.ts';
import type { NetworkFaults } from '../common/network-faults.ts';
import type { PayloadKind } from '../common/protocol.ts';
import type { FaultSite } from '../common/fault.ts';
import type { SlowConsumerPolicy } from '../common/slow-consumer-policy.ts';
import { Problems } from '../common/usage.ts';
import { validateBenchOptions, type BenchOptions, type ValueKey } from './bench-options.ts';
import { loadScenario, type Scenario, type TrafficMix } from './scenario.ts';
import { canPin, SERVER_CPU } from './pinning.ts';

/** `rate`: the open-loop base rate (the first traffic phase's), messages per second across all clients. */
export type LoadMode = { readonly kind: 'open-loop'; readonly rate: number } | { readonly kind: 'closed-loop'; readonly inFlight: number };

/** One stretch of measured open-loop traffic at one total rate. */
export interface TrafficPhase {
  readonly name: string;
  readonly durationMs: number;
  readonly rate: number;
}

/** What some clients do besides the mix (see the scenario format). */
export interface ClientBehaviours {
  /** Clients (right after the publisher) that stop reading when the measured phases begin, and resume when the drain begins. */
  readonly stopReading?: number;
  /** A control run: the clients with the stop-reading role keep reading (the same traffic without slow consumers). */
  readonly keepReading?: boolean;
  /** Client 0 streams frames of `bytes` every `everyMs`: broadcasts, or a send-to each stopped client. */
  readonly publisher?: { readonly kind: 'broadcast' | 'send-to-stopped'; readonly everyMs: number; readonly bytes: number };
  /** Clients that leave, and new ones that join in their place, per second of measured traffic. */
  readonly churnPerSecond?: number;
  /** The fault-isolation experiment: a fault frame `atMs` into the measured phase, for a server panicking at `site`. */
  readonly fault?: { readonly atMs: number; readonly site: FaultSite };
}

/** What the load generator does, whoever serves it. */
export interface LoadPlan {
  readonly url: string;
  readonly clients: number;
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  /** Traffic sent before the measured phase, to get past connection and JIT warm-up; not counted. */
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly mode: LoadMode;
  readonly mix: TrafficMix;
  readonly messageBytes: number;
  /** When set, each probe's payload size is uniform in [messageBytes, messageBytesMax]. */
  readonly messageBytesMax?: number;
  /** Open loop: the measured traffic, phase by phase (durationMs is their sum); absent: one phase at mode.rate. */
  readonly phases?: readonly TrafficPhase[];
  /** Handshakes started per second at most (besides connectConcurrency in flight). */
  readonly connectPerSecond?: number;
  readonly behaviours?: ClientBehaviours;
  /** permessage-deflate asked for by every client (and offered by a server the run starts); off when absent. */
  readonly compression?: CompressionSettings;
  /** What fills a probe past its header: one repeated byte (default), text-like words, or random characters. */
  readonly payload?: PayloadKind;
  /** Clients connect through fault proxies with these settings (absent: straight to the server). */
  readonly network?: NetworkFaults;
  /** Set by the run once its fault proxies listen: client i connects to urls[i mod n]. */
  readonly urls?: readonly string[];
  readonly drainTimeoutMs: number;
  /** Sends later than this (p99, ms) mark the run `loadgen-saturated`. */
  readonly maxSendLagMs: number;
  readonly seed: number;
}

/** Where the server comes from: spawned by us (a model on a port) or already running. */
export type ServerPlan =
  | (ServerSettings & {
      readonly kind: 'spawn';
      /** CPUs the server is pinned to (--pin), with the load generator on another. */
      readonly cpus?: string;
    })
  | { readonly kind: 'external'; readonly url: string };

/** HTTP traffic on the admin routes during the measured phases (autocannon). */
export interface HttpSideLoad {
  readonly requests: readonly { readonly method: 'GET' | 'POST'; readonly path: '/clients/count' | '/broadcast'; readonly rate: number; readonly connections: number }[];
}

export interface BenchPlan {
  readonly scenario: Scenario;
  readonly http?: HttpSideLoad;
  readonly server: ServerPlan;
  /** The load plan without its URL, which is known once the server listens. */
  readonly load: Omit<LoadPlan, 'url'>;
  readonly outDir: string;
  readonly printJson: boolean;
}

export const CONNECT_TIMEOUT_MS = 30_000;
/** Room left in a started server's frame limit for the command around a probe (`/to <id> `). */
export const MAX_MESSAGE_BYTES_FOR_SPAWNED = DEFAULT_MAX_PAYLOAD - 64;

/**
 * Turns checked options into a plan: every problem — of an option's value, of options together,
 * of what the scenario cannot give — is named in one UsageError (a check that depends on a bad
 * value is skipped, not reported twice).
 */
export function resolveBenchPlan(options: BenchOptions): BenchPlan {
  const problems = new Problems();
  const invalid = new Set<ValueKey>();
  for (const p of validateBenchOptions(options)) {
    problems.add(p.code, p.message);
    if (p.key) invalid.add(p.key);
  }
  const o = withoutInvalid(options, invalid);
  const scenario = problems.check(() => loadScenario(o.scenario), undefined);
  const fault = scenario?.behaviours.fault && (o.faultSite ?? scenario.behaviours.fault.site);
  const server = serverPlan(o, problems, invalid, fault, scenario);
  if (!scenario || invalid.has('clients')) return problems.throwIfAny() as never;
  const clients = o.clients ?? scenario.clients;
  const behaviours = resolveBehaviours(scenario, clients, !o.stopReading, o.faultSite, problems);
  const phases = resolvePhases(scenario, o, clients, behaviours, problems);
  const sizes = o.messageBytes ?? scenario.messageBytes;
  const [messageBytes, messageBytesMax] = typeof sizes === 'number' ? [sizes, sizes] : [sizes.min, sizes.max];
  for (const problem of scenarioProblems(scenario, o, server, clients, behaviours, messageBytesMax)) problems.add('ERR_BAD_OPTION', problem);
  problems.throwIfAny();
  return buildPlan(o, server!, scenario, { clients, messageBytes, messageBytesMax, behaviours, phases });
}

/** The options without the values that failed their rule (the defaults, or the scenario's, stand in). */
function withoutInvalid(options: BenchOptions, invalid: ReadonlySet<ValueKey>): BenchOptions {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !invalid.has(key as ValueKey))) as unknown as BenchOptions;
}

/** What the options ask of the scenario that it cannot give. */
function scenarioProblems(scenario: Scenario, o: BenchOptions, server: ServerPlan | undefined, clients: number, behaviours: ClientBehaviours, messageBytesMax: number): string[] {
  const problems: string[] = [];
  const special = scenario.phases.length > 1 || Object.keys(behaviours).length > 0 || scenario.http !== undefined;
  if (o.closedLoop && (scenario.mix.broadcast > 0 || scenario.mix.sendTo > 0 || special)) {
    problems.push(`--closed-loop works with single-phase echo traffic only; scenario '${scenario.name}' has other kinds, phases, behaviours or HTTP traffic`);
  }
  const limit = `at most ${MAX_MESSAGE_BYTES_FOR_SPAWNED} for a started server, whose frame limit is ${DEFAULT_MAX_PAYLOAD} bytes`;
  if (server?.kind === 'spawn' && messageBytesMax > MAX_MESSAGE_BYTES_FOR_SPAWNED) problems.push(`--message-bytes must be ${limit}; got ${messageBytesMax}`);
  const publisherBytes = behaviours.publisher?.bytes ?? 0;
  if (server?.kind === 'spawn' && publisherBytes > MAX_MESSAGE_BYTES_FOR_SPAWNED) problems.push(`behaviours.publisher.bytes of scenario '${scenario.name}' must be ${limit}; got ${publisherBytes}`);
  if ((scenario.mix.broadcast > 0 || scenario.mix.sendTo > 0) && clients < 2) {
    problems.push(`--clients must be >= 2 for scenario '${scenario.name}', which sends to other clients; got ${clients}`);
  }
  return problems;
}

interface Resolved {
  readonly clients: number;
  readonly messageBytes: number;
  readonly messageBytesMax: number;
  readonly behaviours: ClientBehaviours;
  readonly phases: TrafficPhase[];
}

function buildPlan(o: BenchOptions, server: ServerPlan, scenario: Scenario, r: Resolved): BenchPlan {
  const mode: LoadMode = o.closedLoop ? { kind: 'closed-loop', inFlight: o.inFlight } : { kind: 'open-loop', rate: r.phases[0]?.rate ?? 0 };
  const ramp = scenario.ramp;
  const connectPerSecond = ramp.perSecond ?? (ramp.durationSeconds !== undefined ? r.clients / ramp.durationSeconds : undefined);
  return {
    scenario,
    ...(scenario.http && { http: scenario.http }),
    server,
    load: {
      clients: r.clients,
      connectConcurrency: o.connectConcurrency ?? ramp.handshakesInFlight,
      ...(connectPerSecond !== undefined && { connectPerSecond }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      warmupMs: Math.round((o.warmupSeconds ?? scenario.warmupSeconds) * 1000),
      durationMs: r.phases.reduce((sum, p) => sum + p.durationMs, 0),
      mode,
      ...(mode.kind === 'open-loop' && { phases: r.phases }),
      mix: scenario.mix,
      messageBytes: r.messageBytes,
      ...(r.messageBytesMax !== r.messageBytes && { messageBytesMax: r.messageBytesMax }),
      ...(Object.keys(r.behaviours).length > 0 && { behaviours: r.behaviours }),
      ...(scenario.compression && { compression: scenario.compression }),
      ...(scenario.payload !== 'repeated' && { payload: scenario.payload }),
      ...(scenario.network && { network: scenario.network }),
      drainTimeoutMs: Math.round(o.drainTimeoutSeconds * 1000),
      maxSendLagMs: o.maxSendLagMs,
      seed: o.seed,
    },
    outDir: o.outDir,
    printJson: o.printJson,
  };
}

function resolveBehaviours(scenario: Scenario, clients: number, keepReading: boolean, faultSite: FaultSite | undefined, problems: Problems): ClientBehaviours {
  const b = scenario.behaviours;
  if (faultSite !== undefined && !b.fault) problems.add('ERR_BAD_OPTION', `--fault-site chooses where the fault-isolation experiment's fault lands; scenario '${scenario.name}' injects none`);
  if (keepReading && !b.stopReading) problems.add('ERR_BAD_OPTION', `--no-stop-reading makes a control run of a scenario with slow readers; scenario '${scenario.name}' has none`);
  const stopReading = b.stopReading?.clients;
  const reserved = (stopReading ?? 0) + (b.publisher ? 1 : 0);
  if (reserved > 0 && clients <= reserved) problems.add('ERR_BAD_OPTION', `--clients must be > ${reserved} for scenario '${scenario.name}' (${reserved} clients have special roles); got ${clients}`);
  return {
    ...(stopReading !== undefined && { stopReading }),
    ...(keepReading && b.stopReading && { keepReading }),
    ...(b.publisher && { publisher: b.publisher }),
    ...(b.churn && { churnPerSecond: b.churn.perSecond }),
    ...(b.fault && { fault: { atMs: Math.round(b.fault.atSecond * 1000), site: faultSite ?? b.fault.site } }),
  };
}

/**
 * The scenario's phases with total rates: a per-client rate counts the clients that send the mix
 * (not the publisher, not those that stop reading). --rate sets the first phase's rate and scales
 * the others alike; --duration sets the measured total and scales each phase alike.
 */
function resolvePhases(scenario: Scenario, o: BenchOptions, clients: number, behaviours: ClientBehaviours, problems: Problems): TrafficPhase[] {
  const senders = clients - (behaviours.stopReading ?? 0) - (behaviours.publisher ? 1 : 0);
  let phases = scenario.phases.map((p) => ({ name: p.name, durationMs: p.durationSeconds * 1000, rate: p.rate ?? p.ratePerClient! * senders }));
  const rate = o.rate;
  if (rate !== undefined) {
    const base = phases[0]!.rate;
    if (base === 0 && phases.length > 1) problems.add('ERR_BAD_OPTION', `--rate cannot scale scenario '${scenario.name}', whose first phase has rate 0`);
    else phases = phases.map((p) => ({ ...p, rate: base === 0 ? rate : (p.rate * rate) / base }));
  }
  if (o.durationSeconds !== undefined) {
    const total = o.durationSeconds * 1000;
    const scenarioTotal = phases.reduce((sum, p) => sum + p.durationMs, 0);
    phases = phases.map((p) => ({ ...p, durationMs: (p.durationMs * total) / scenarioTotal }));
  }
  return phases.map((p) => ({ ...p, durationMs: Math.round(p.durationMs) }));
}

/** The server to start, or the one to drive; undefined (with the problems added) when the options say neither clearly. */
function serverPlan(o: BenchOptions, problems: Problems, invalid: ReadonlySet<ValueKey>, fault: FaultSite | undefined, scenario: Scenario | undefined): ServerPlan | undefined {
  const heartbeatMs = scenario?.server.heartbeatMs;
  if (o.target !== undefined) {
    if (o.model !== undefined || invalid.has('model')) problems.add('ERR_BAD_OPTION', '--model starts a server and --target drives a running one: give only one of them');
    if (o.debugStallMs !== undefined || !o.serverMetrics || o.slowConsumerPolicy !== undefined || o.pin) {
      problems.add('ERR_BAD_OPTION', '--debug-stall-ms, --no-server-metrics, --slow-consumer-policy and --pin apply to a started server (--model), not to --target');
    }
    const url = URL.canParse(o.target) ? new URL(o.target) : undefined;
    if (url?.protocol !== 'ws:' && url?.protocol !== 'wss:') {
      problems.add('ERR_BAD_OPTION', `--target must be a ws:// or wss:// URL such as ws://127.0.0.1:8080, got '${o.target}'`);
      return undefined;
    }
    return { kind: 'external', url: url.href };
  }
  if (o.pin && !canPin()) problems.add('ERR_BAD_OPTION', '--pin needs taskset and at least 2 CPUs, and this machine has not both');
  if (o.debugStallEveryMs !== undefined && o.debugStallMs === undefined) problems.add('ERR_BAD_OPTION', '--debug-stall-every-ms sets the period of --debug-stall-ms: give that too');
  if (o.model === undefined) return undefined; // named by validateBenchOptions
  const debug = {
    ...(o.debugStallMs !== undefined && { stallMs: o.debugStallMs }),
    ...(o.debugStallMs !== undefined && o.debugStallEveryMs !== undefined && { stallEveryMs: o.debugStallEveryMs }),
    ...(o.debugDelayPerMessageUs !== undefined && { delayPerMessageUs: o.debugDelayPerMessageUs }),
    ...(o.debugDropEvery !== undefined && { dropEvery: o.debugDropEvery }),
    // The fault-isolation scenario needs a server that panics on its fault frame (debug only).
    ...(fault && { fault }),
  };
  return {
    kind: 'spawn',
    model: o.model,
    ...(o.modelOptions && Object.keys(o.modelOptions).length > 0 && { modelOptions: o.modelOptions }),
    host: DEFAULT_HOST,
    port: o.port,
    ...(!o.serverMetrics && { metrics: false }),
    ...(o.slowConsumerPolicy !== undefined && { slowConsumerPolicy: policyOf(o) }),
    ...(heartbeatMs !== undefined && { heartbeatMs }),
    ...(scenario?.compression && { compression: scenario.compression }),
    ...(Object.keys(debug).length > 0 && { debug }),
    ...(o.pin && { cpus: SERVER_CPU }),
  };
}

function policyOf(o: BenchOptions): SlowConsumerPolicy {
  if (o.slowConsumerPolicy !== 'disconnect') return { kind: o.slowConsumerPolicy ?? 'await' };
  return { kind: 'disconnect', timeoutMs: Math.round((o.slowConsumerTimeoutSeconds ?? 1) * 1000) };
}
