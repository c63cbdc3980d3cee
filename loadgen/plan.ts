/**
 * The one place that turns options into a run: CLI options and a scenario file become a RunPlan,
 * after every check. Anything wrong throws a UsageError with a one-line message.
 */
import { MODEL_NAMES, isModelName, type ModelName } from '../servers/common/registry.ts';
import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD } from '../servers/server.ts';
import { parseIntegerOption, parseNumberOption, UsageError } from '../common/usage.ts';
import { loadScenario, type Scenario, type TrafficMix } from './scenario.ts';

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
}

export type LoadMode = { readonly kind: 'open-loop'; readonly rate: number } | { readonly kind: 'closed-loop'; readonly inFlight: number };

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
    }
  | { readonly kind: 'external'; readonly url: string };

export interface BenchPlan {
  readonly scenario: Scenario;
  readonly server: ServerPlan;
  /** The load plan without its URL, which is known once the server listens. */
  readonly load: Omit<LoadPlan, 'url'>;
  readonly outDir: string;
  readonly printJson: boolean;
}

export const CONNECT_TIMEOUT_MS = 30_000;
/** Room left in a started server's frame limit for the command around a probe (`/to <id> `). */
export const MAX_MESSAGE_BYTES_FOR_SPAWNED = DEFAULT_MAX_PAYLOAD - 64;

export function resolveBenchPlan(raw: RawBenchOptions): BenchPlan {
  const server = resolveServer(raw);
  const scenario = loadScenario(raw.scenario);
  const clients = raw.clients === undefined ? scenario.clients : parseIntegerOption('--clients', raw.clients, 1);
  const durationSeconds = raw.duration === undefined ? scenario.durationSeconds : parseNumberOption('--duration', raw.duration, 0);
  const mode: LoadMode = raw.closedLoop
    ? { kind: 'closed-loop', inFlight: parseIntegerOption('--in-flight', raw.inFlight, 1, 1000) }
    : { kind: 'open-loop', rate: raw.rate === undefined ? scenario.rate : parseNumberOption('--rate', raw.rate, 0) };
  if (mode.kind === 'closed-loop' && (scenario.mix.broadcast > 0 || scenario.mix.sendTo > 0)) {
    throw new UsageError('ERR_BAD_OPTION', `--closed-loop works with echo traffic only; scenario '${scenario.name}' sends broadcast or send-to messages`);
  }
  const messageBytes = raw.messageBytes === undefined ? scenario.messageBytes : parseIntegerOption('--message-bytes', raw.messageBytes, 0, 1 << 20);
  if (server.kind === 'spawn' && messageBytes > MAX_MESSAGE_BYTES_FOR_SPAWNED) {
    throw new UsageError('ERR_BAD_OPTION', `--message-bytes must be at most ${MAX_MESSAGE_BYTES_FOR_SPAWNED} for a started server, whose frame limit is ${DEFAULT_MAX_PAYLOAD} bytes; got ${messageBytes}`);
  }
  const needsTwoClients = scenario.mix.broadcast > 0 || scenario.mix.sendTo > 0;
  if (needsTwoClients && clients < 2) {
    throw new UsageError('ERR_BAD_OPTION', `--clients must be >= 2 for scenario '${scenario.name}', which sends to other clients; got ${clients}`);
  }
  return {
    scenario,
    server,
    load: {
      clients,
      connectConcurrency: raw.connectConcurrency === undefined ? scenario.connectConcurrency : parseIntegerOption('--connect-concurrency', raw.connectConcurrency, 1, 10_000),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      warmupMs: Math.round((raw.warmup === undefined ? scenario.warmupSeconds : parseNumberOption('--warmup', raw.warmup, 0, true)) * 1000),
      durationMs: Math.round(durationSeconds * 1000),
      mode,
      mix: scenario.mix,
      messageBytes,
      drainTimeoutMs: Math.round(parseNumberOption('--drain-timeout', raw.drainTimeout, 0, true) * 1000),
      maxSendLagMs: parseNumberOption('--max-send-lag', raw.maxSendLag, 0),
      seed: parseIntegerOption('--seed', raw.seed, 0, 2 ** 32 - 1),
    },
    outDir: raw.out,
    printJson: raw.json === true,
  };
}

function resolveServer(raw: RawBenchOptions): ServerPlan {
  if (raw.target !== undefined) {
    if (raw.model !== undefined) throw new UsageError('ERR_BAD_OPTION', '--model starts a server and --target drives a running one: give only one of them');
    if (raw.debugStallMs !== undefined || raw.serverMetrics === false) throw new UsageError('ERR_BAD_OPTION', '--debug-stall-ms and --no-server-metrics apply to a started server (--model), not to --target');
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
  if (!isModelName(raw.model)) throw new UsageError('ERR_UNKNOWN_MODEL', `--model must be one of ${MODEL_NAMES.join(', ')}, got '${raw.model}'`);
  const port = raw.port === undefined ? 0 : parseIntegerOption('--port', raw.port, 0, 65535);
  const extraArgs: string[] = [];
  if (raw.debugStallMs !== undefined) extraArgs.push('--debug-stall-ms', String(parseIntegerOption('--debug-stall-ms', raw.debugStallMs, 1, 60_000)));
  if (raw.serverMetrics === false) extraArgs.push('--no-metrics');
  return { kind: 'spawn', model: raw.model, host: DEFAULT_HOST, port, extraArgs };
}
