/**
 * The one place that turns options into a run: CLI options and a scenario file become a RunPlan,
 * after every check. Anything wrong throws a UsageError with a one-line message.
 */
import { MODEL_NAMES, isModelName, type ModelName } from '../common/models.ts';
import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD } from '../common/server-defaults.ts';
import { parseIntegerOption, parseNumberOption, Problems, UsageError } from '../common/usage.ts';
import { loadScenario, type Scenario, type TrafficMix } from './scenario.ts';
import { isSlowConsumerPolicyName, MAX_SLOW_CONSUMER_TIMEOUT_S, MIN_SLOW_CONSUMER_TIMEOUT_S, SLOW_CONSUMER_POLICIES } from '../common/slow-consumer-policy.ts';
import { canPin, SERVER_CPU } from './pinning.ts';

/** Options as commander hands them over: strings, unvalidated. */
export interface RawBenchOptions {
  model?: string;
  scenario: string;
  clients?: string;
  duration?: string;
  warmup?: string;
  rate?: string;
  port?: string;
  target?: string;
  closedLoop?: boolean;
  inFlight: string;
  connectConcurrency?: string;
  messageBytes?: string;
  drainTimeout: string;
  maxSendLag: string;
  seed: string;
  out: string;
  json?: boolean;
  debugStallMs?: string;
  serverMetrics?: boolean;
  slowConsumerPolicy?: string;
  slowConsumerTimeout?: string;
  /** false with --no-stop-reading: a control run whose would-be slow readers keep reading. */
  stopReading?: boolean;
  /** Server on CPU 0, load generator on CPU 1. */
  pin?: boolean;
}

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
  readonly drainTimeoutMs: number;
  /** Sends later than this (p99, ms) mark the run `loadgen-saturated`. */
  readonly maxSendLagMs: number;
  readonly seed: number;
}

/** Where the server comes from: spawned by us (a model on a port) or already running. */
export type ServerPlan =
  | {
      readonly kind: 'spawn';
      readonly model: ModelName;
      readonly host: string;
      readonly port: number;
      /** Server flags beyond model, host and port (debug stall, --no-metrics). */
      readonly extraArgs: readonly string[];
      /** CPUs the server is pinned to (--pin), with the load generator on another. */
      readonly cpus?: string;
    }
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
 * Turns the CLI's options into a plan, checking every option: all problems are named in one
 * UsageError (a later check that depends on a bad value is skipped, not reported twice).
 */
export function resolveBenchPlan(raw: RawBenchOptions): BenchPlan {
  const problems = new Problems();
  const server = problems.check(() => resolveServer(raw), undefined);
  const scenario = problems.check(() => loadScenario(raw.scenario), undefined);
  const clients = problems.check(() => (raw.clients === undefined ? scenario?.clients : parseIntegerOption('--clients', raw.clients, 1)), undefined);
  const connectConcurrency = problems.check(() => (raw.connectConcurrency === undefined ? undefined : parseIntegerOption('--connect-concurrency', raw.connectConcurrency, 1, 10_000)), undefined);
  const warmupSeconds = problems.check(() => (raw.warmup === undefined ? undefined : parseNumberOption('--warmup', raw.warmup, 0, true)), undefined);
  const inFlight = problems.check(() => (raw.closedLoop ? parseIntegerOption('--in-flight', raw.inFlight, 1, 1000) : 1), 1);
  const sizes = problems.check(() => (raw.messageBytes === undefined ? scenario?.messageBytes : parseIntegerOption('--message-bytes', raw.messageBytes, 0, 1 << 20)), undefined);
  const drainTimeoutMs = problems.check(() => Math.round(parseNumberOption('--drain-timeout', raw.drainTimeout, 0, true) * 1000), 0);
  const maxSendLagMs = problems.check(() => parseNumberOption('--max-send-lag', raw.maxSendLag, 0), 0);
  const seed = problems.check(() => parseIntegerOption('--seed', raw.seed, 0, 2 ** 32 - 1), 0);
  if (!scenario || clients === undefined) problems.throwIfAny();
  const behaviours = problems.check(() => resolveBehaviours(scenario!, clients!, raw.stopReading === false), {});
  const phases = problems.check(() => resolvePhases(scenario!, raw, clients!, behaviours), []);
  const [messageBytes, messageBytesMax] = sizes === undefined ? [0, 0] : typeof sizes === 'number' ? [sizes, sizes] : [sizes.min, sizes.max];
  for (const problem of scenarioProblems(scenario!, raw, server, clients!, behaviours, messageBytesMax)) problems.add('ERR_BAD_OPTION', problem);
  problems.throwIfAny();
  return buildPlan(raw, server!, scenario!, { clients: clients!, connectConcurrency, warmupSeconds, inFlight, messageBytes, messageBytesMax, drainTimeoutMs, maxSendLagMs, seed, behaviours, phases });
}

/** What the options ask of the scenario that it cannot give. */
function scenarioProblems(scenario: Scenario, raw: RawBenchOptions, server: ServerPlan | undefined, clients: number, behaviours: ClientBehaviours, messageBytesMax: number): string[] {
  const problems: string[] = [];
  const special = scenario.phases.length > 1 || Object.keys(behaviours).length > 0 || scenario.http !== undefined;
  if (raw.closedLoop && (scenario.mix.broadcast > 0 || scenario.mix.sendTo > 0 || special)) {
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

interface CheckedOptions {
  readonly clients: number;
  readonly connectConcurrency: number | undefined;
  readonly warmupSeconds: number | undefined;
  readonly inFlight: number;
  readonly messageBytes: number;
  readonly messageBytesMax: number;
  readonly drainTimeoutMs: number;
  readonly maxSendLagMs: number;
  readonly seed: number;
  readonly behaviours: ClientBehaviours;
  readonly phases: TrafficPhase[];
}

function buildPlan(raw: RawBenchOptions, server: ServerPlan, scenario: Scenario, o: CheckedOptions): BenchPlan {
  const mode: LoadMode = raw.closedLoop ? { kind: 'closed-loop', inFlight: o.inFlight } : { kind: 'open-loop', rate: o.phases[0]!.rate };
  const ramp = scenario.ramp;
  const connectPerSecond = ramp.perSecond ?? (ramp.durationSeconds !== undefined ? o.clients / ramp.durationSeconds : undefined);
  return {
    scenario,
    ...(scenario.http && { http: scenario.http }),
    server,
    load: {
      clients: o.clients,
      connectConcurrency: o.connectConcurrency ?? ramp.handshakesInFlight,
      ...(connectPerSecond !== undefined && { connectPerSecond }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      warmupMs: Math.round((o.warmupSeconds ?? scenario.warmupSeconds) * 1000),
      durationMs: o.phases.reduce((sum, p) => sum + p.durationMs, 0),
      mode,
      ...(mode.kind === 'open-loop' && { phases: o.phases }),
      mix: scenario.mix,
      messageBytes: o.messageBytes,
      ...(o.messageBytesMax !== o.messageBytes && { messageBytesMax: o.messageBytesMax }),
      ...(Object.keys(o.behaviours).length > 0 && { behaviours: o.behaviours }),
      drainTimeoutMs: o.drainTimeoutMs,
      maxSendLagMs: o.maxSendLagMs,
      seed: o.seed,
    },
    outDir: raw.out,
    printJson: raw.json === true,
  };
}

function resolveBehaviours(scenario: Scenario, clients: number, keepReading: boolean): ClientBehaviours {
  const b = scenario.behaviours;
  if (keepReading && !b.stopReading) throw new UsageError('ERR_BAD_OPTION', `--no-stop-reading makes a control run of a scenario with slow readers; scenario '${scenario.name}' has none`);
  const stopReading = b.stopReading?.clients;
  const reserved = (stopReading ?? 0) + (b.publisher ? 1 : 0);
  if (reserved > 0 && clients <= reserved) {
    throw new UsageError('ERR_BAD_OPTION', `--clients must be > ${reserved} for scenario '${scenario.name}' (${reserved} clients have special roles); got ${clients}`);
  }
  return {
    ...(stopReading !== undefined && { stopReading }),
    ...(keepReading && { keepReading }),
    ...(b.publisher && { publisher: b.publisher }),
    ...(b.churn && { churnPerSecond: b.churn.perSecond }),
  };
}

/**
 * The scenario's phases with total rates: a per-client rate counts the clients that send the mix
 * (not the publisher, not those that stop reading). --rate sets the first phase's rate and scales
 * the others alike; --duration sets the measured total and scales each phase alike.
 */
function resolvePhases(scenario: Scenario, raw: RawBenchOptions, clients: number, behaviours: ClientBehaviours): TrafficPhase[] {
  const senders = clients - (behaviours.stopReading ?? 0) - (behaviours.publisher ? 1 : 0);
  let phases = scenario.phases.map((p) => ({ name: p.name, durationMs: p.durationSeconds * 1000, rate: p.rate ?? p.ratePerClient! * senders }));
  if (raw.rate !== undefined) {
    const rate = parseNumberOption('--rate', raw.rate, 0);
    const base = phases[0]!.rate;
    if (base === 0 && phases.length > 1) throw new UsageError('ERR_BAD_OPTION', `--rate cannot scale scenario '${scenario.name}', whose first phase has rate 0`);
    phases = phases.map((p) => ({ ...p, rate: base === 0 ? rate : (p.rate * rate) / base }));
  }
  if (raw.duration !== undefined) {
    const total = parseNumberOption('--duration', raw.duration, 0) * 1000;
    const scenarioTotal = phases.reduce((sum, p) => sum + p.durationMs, 0);
    phases = phases.map((p) => ({ ...p, durationMs: (p.durationMs * total) / scenarioTotal }));
  }
  return phases.map((p) => ({ ...p, durationMs: Math.round(p.durationMs) }));
}

function resolveServer(raw: RawBenchOptions): ServerPlan {
  if (raw.target !== undefined) {
    if (raw.model !== undefined) throw new UsageError('ERR_BAD_OPTION', '--model starts a server and --target drives a running one: give only one of them');
    if (raw.debugStallMs !== undefined || raw.serverMetrics === false || raw.slowConsumerPolicy !== undefined || raw.pin) {
      throw new UsageError('ERR_BAD_OPTION', '--debug-stall-ms, --no-server-metrics, --slow-consumer-policy and --pin apply to a started server (--model), not to --target');
    }
    let url: URL;
    try {
      url = new URL(raw.target);
    } catch {
      throw new UsageError('ERR_BAD_OPTION', `--target must be a ws:// or wss:// URL such as ws://127.0.0.1:8080, got '${raw.target}'`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new UsageError('ERR_BAD_OPTION', `--target must be a ws:// or wss:// URL such as ws://127.0.0.1:8080, got '${raw.target}'`);
    }
    return { kind: 'external', url: url.href };
  }
  if (raw.model === undefined) throw new UsageError('ERR_BAD_OPTION', `give --model (${MODEL_NAMES.join(', ')}) to start a server, or --target ws://host:port to drive a running one`);
  const problems = new Problems();
  if (!isModelName(raw.model)) problems.add('ERR_UNKNOWN_MODEL', `--model must be one of ${MODEL_NAMES.join(', ')}, got '${raw.model}'`);
  const port = problems.check(() => (raw.port === undefined ? 0 : parseIntegerOption('--port', raw.port, 0, 65535)), 0);
  const extraArgs: string[] = [];
  if (raw.debugStallMs !== undefined) extraArgs.push('--debug', '--debug-stall-ms', String(problems.check(() => parseIntegerOption('--debug-stall-ms', raw.debugStallMs!, 1, 60_000), 1)));
  if (raw.serverMetrics === false) extraArgs.push('--no-metrics');
  if (raw.slowConsumerPolicy !== undefined) {
    if (!isSlowConsumerPolicyName(raw.slowConsumerPolicy)) problems.add('ERR_BAD_OPTION', `--slow-consumer-policy must be one of ${SLOW_CONSUMER_POLICIES.join(', ')}, got '${raw.slowConsumerPolicy}'`);
    extraArgs.push('--slow-consumer-policy', raw.slowConsumerPolicy);
  }
  if (raw.slowConsumerTimeout !== undefined) {
    if (raw.slowConsumerPolicy !== 'disconnect') problems.add('ERR_BAD_OPTION', '--slow-consumer-timeout applies to --slow-consumer-policy disconnect only');
    const seconds = problems.check(() => parseNumberOption('--slow-consumer-timeout', raw.slowConsumerTimeout!, 0), 1);
    if (seconds < MIN_SLOW_CONSUMER_TIMEOUT_S || seconds > MAX_SLOW_CONSUMER_TIMEOUT_S) {
      problems.add('ERR_BAD_OPTION', `--slow-consumer-timeout must be from ${MIN_SLOW_CONSUMER_TIMEOUT_S} to ${MAX_SLOW_CONSUMER_TIMEOUT_S} (seconds), got ${raw.slowConsumerTimeout}`);
    }
    extraArgs.push('--slow-consumer-timeout-ms', String(Math.round(seconds * 1000)));
  }
  if (raw.pin && !canPin()) problems.add('ERR_BAD_OPTION', '--pin needs taskset and at least 2 CPUs, and this machine has not both');
  problems.throwIfAny();
  if (!isModelName(raw.model)) throw new Error('unreachable: the model was checked');
  return { kind: 'spawn', model: raw.model, host: DEFAULT_HOST, port, extraArgs, ...(raw.pin && { cpus: SERVER_CPU }) };
}
