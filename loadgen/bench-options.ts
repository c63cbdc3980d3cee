/**
 * The bench's options as data: typed values with defaults, and one rule per option (its flag, its
 * type, its range). The CLI parses strings into them (`parseBenchOptions`), compare, sweeps,
 * scripts and tests build them in code (`benchOptions({...})`), and `validateBenchOptions` checks
 * any of them against the same rules, returning every problem at once; `benchArgs` writes them
 * back as bench flags (the command a result records). plan.ts turns checked options into a run.
 */
import { isModelName, MODEL_NAMES, modelDescriptor, modelOptionProblems, type ModelName } from '../common/models.ts';
import { MAX_SLOW_CONSUMER_TIMEOUT_S, MIN_SLOW_CONSUMER_TIMEOUT_S, SLOW_CONSUMER_POLICIES, type SlowConsumerPolicyName } from '../common/slow-consumer-policy.ts';
import type { UsageErrorCode } from '../common/usage.ts';
import { FAULT_SITES, type FaultSite } from '../common/fault.ts';
import { DEFAULT_MAX_SEND_LAG_MS } from './record/self-check.ts';

export interface BenchOptions {
  /** Start this model's server (exactly one of model and target). */
  readonly model?: ModelName;
  /** The model's own options, e.g. `{lock: 'async-mutex'}` for mutex (its catalog entry lists them). */
  readonly modelOptions?: Readonly<Record<string, string>>;
  /** Drive a running server at this ws:// or wss:// URL. */
  readonly target?: string;
  /** A scenario name from scenarios/, or a path to a scenario file. */
  readonly scenario: string;
  /** Unset: the scenario's. */
  readonly clients?: number;
  readonly durationSeconds?: number;
  readonly warmupSeconds?: number;
  /** Open-loop rate of the first traffic phase, messages per second (the others scale alike). */
  readonly rate?: number;
  readonly connectConcurrency?: number;
  readonly messageBytes?: number;
  /** Port for the started server (0: a free one). */
  readonly port: number;
  readonly closedLoop: boolean;
  readonly inFlight: number;
  readonly drainTimeoutSeconds: number;
  readonly maxSendLagMs: number;
  readonly seed: number;
  readonly outDir: string;
  readonly printJson: boolean;
  /** The started server records its metrics (false: --no-server-metrics). */
  readonly serverMetrics: boolean;
  readonly slowConsumerPolicy?: SlowConsumerPolicyName;
  readonly slowConsumerTimeoutSeconds?: number;
  /** Debug: the started server blocks its event loop this long once a second (or every debugStallEveryMs). */
  readonly debugStallMs?: number;
  readonly debugStallEveryMs?: number;
  /** Debug: the started server spins this long per message (a deliberately slowed compare arm). */
  readonly debugDelayPerMessageUs?: number;
  /** Debug: the started server silently drops every nth probe frame (a deliberately lossy compare arm). */
  readonly debugDropEvery?: number;
  /** The fault-isolation experiment: where the fault lands (default: the scenario's). */
  readonly faultSite?: FaultSite;
  /** false: a control run whose would-be slow readers keep reading. */
  readonly stopReading: boolean;
  /** Server on CPU 0, load generator on CPU 1. */
  readonly pin: boolean;
}

export const BENCH_DEFAULTS = {
  scenario: 'echo',
  port: 0,
  closedLoop: false,
  inFlight: 1,
  drainTimeoutSeconds: 10,
  maxSendLagMs: DEFAULT_MAX_SEND_LAG_MS,
  seed: 1,
  outDir: 'results',
  printJson: false,
  serverMetrics: true,
  stopReading: true,
  pin: false,
} as const satisfies Partial<BenchOptions>;

/** Options with the defaults filled in. */
export function benchOptions(given: Partial<BenchOptions> = {}): BenchOptions {
  return { ...BENCH_DEFAULTS, ...given };
}

/** Options as commander hands them over: strings, unvalidated. */
export interface RawBenchOptions {
  model?: string;
  /** Repeatable `--model-option key=value`. */
  modelOption?: string[];
  scenario?: string;
  clients?: string;
  duration?: string;
  warmup?: string;
  rate?: string;
  port?: string;
  target?: string;
  closedLoop?: boolean;
  inFlight?: string;
  connectConcurrency?: string;
  messageBytes?: string;
  drainTimeout?: string;
  maxSendLag?: string;
  seed?: string;
  out?: string;
  json?: boolean;
  debugStallMs?: string;
  debugStallEveryMs?: string;
  faultSite?: string;
  serverMetrics?: boolean;
  slowConsumerPolicy?: string;
  slowConsumerTimeout?: string;
  stopReading?: boolean;
  pin?: boolean;
}

type Rule =
  | { readonly flag: string; readonly raw: keyof RawBenchOptions; readonly type: 'integer'; readonly min: number; readonly max?: number }
  | { readonly flag: string; readonly raw: keyof RawBenchOptions; readonly type: 'number'; readonly min: number; readonly inclusive?: boolean; readonly max?: number }
  | { readonly flag: string; readonly raw: keyof RawBenchOptions; readonly type: 'choice'; readonly values: readonly string[]; readonly code?: UsageErrorCode };

export type ValueKey = 'faultSite' | 'model' | 'clients' | 'durationSeconds' | 'warmupSeconds' | 'rate' | 'connectConcurrency' | 'messageBytes' | 'port' | 'inFlight' | 'drainTimeoutSeconds' | 'maxSendLagMs' | 'seed' | 'slowConsumerPolicy' | 'slowConsumerTimeoutSeconds' | 'debugStallMs' | 'debugStallEveryMs';

/** Every valued option: its flag, the commander key it arrives under, and what it accepts. */
export const BENCH_OPTION_RULES: Readonly<Record<ValueKey, Rule>> = {
  model: { flag: '--model', raw: 'model', type: 'choice', values: MODEL_NAMES, code: 'ERR_UNKNOWN_MODEL' },
  clients: { flag: '--clients', raw: 'clients', type: 'integer', min: 1 },
  durationSeconds: { flag: '--duration', raw: 'duration', type: 'number', min: 0 },
  warmupSeconds: { flag: '--warmup', raw: 'warmup', type: 'number', min: 0, inclusive: true },
  rate: { flag: '--rate', raw: 'rate', type: 'number', min: 0 },
  connectConcurrency: { flag: '--connect-concurrency', raw: 'connectConcurrency', type: 'integer', min: 1, max: 10_000 },
  messageBytes: { flag: '--message-bytes', raw: 'messageBytes', type: 'integer', min: 0, max: 1 << 20 },
  port: { flag: '--port', raw: 'port', type: 'integer', min: 0, max: 65535 },
  inFlight: { flag: '--in-flight', raw: 'inFlight', type: 'integer', min: 1, max: 1000 },
  drainTimeoutSeconds: { flag: '--drain-timeout', raw: 'drainTimeout', type: 'number', min: 0, inclusive: true },
  maxSendLagMs: { flag: '--max-send-lag', raw: 'maxSendLag', type: 'number', min: 0 },
  seed: { flag: '--seed', raw: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1 },
  slowConsumerPolicy: { flag: '--slow-consumer-policy', raw: 'slowConsumerPolicy', type: 'choice', values: SLOW_CONSUMER_POLICIES },
  slowConsumerTimeoutSeconds: { flag: '--slow-consumer-timeout', raw: 'slowConsumerTimeout', type: 'number', min: MIN_SLOW_CONSUMER_TIMEOUT_S, inclusive: true, max: MAX_SLOW_CONSUMER_TIMEOUT_S },
  debugStallMs: { flag: '--debug-stall-ms', raw: 'debugStallMs', type: 'integer', min: 1, max: 60_000 },
  debugStallEveryMs: { flag: '--debug-stall-every-ms', raw: 'debugStallEveryMs', type: 'integer', min: 1, max: 3_600_000 },
  faultSite: { flag: '--fault-site', raw: 'faultSite', type: 'choice', values: FAULT_SITES },
};

const VALUE_KEYS = Object.keys(BENCH_OPTION_RULES) as ValueKey[];

/** What a rule accepts, in words. */
function accepts(rule: Rule): string {
  if (rule.type === 'choice') return `one of ${rule.values.join(', ')}`;
  if (rule.type === 'integer') return rule.max === undefined ? `an integer >= ${rule.min}` : `an integer from ${rule.min} to ${rule.max}`;
  const lower = `${rule.inclusive ? '>=' : '>'} ${rule.min}`;
  return rule.max === undefined ? `a number ${lower}` : `a number ${lower} and <= ${rule.max}`;
}

/** Whether a value (typed, or the text the user gave) satisfies its rule. */
function satisfies(rule: Rule, value: unknown): boolean {
  if (rule.type === 'choice') return typeof value === 'string' && rule.values.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (rule.type === 'integer' && !Number.isSafeInteger(value)) return false;
  const aboveMin = rule.type === 'number' && !rule.inclusive ? value > rule.min : value >= rule.min;
  return aboveMin && (rule.max === undefined || value <= rule.max);
}

function problemOf(rule: Rule, shown: string): { code: UsageErrorCode; message: string } {
  return { code: rule.type === 'choice' ? (rule.code ?? 'ERR_BAD_OPTION') : 'ERR_BAD_OPTION', message: `${rule.flag} must be ${accepts(rule)}, got '${shown}'` };
}

export interface OptionProblem {
  /** The option at fault, when it is one option's value. */
  readonly key?: ValueKey;
  readonly code: UsageErrorCode;
  readonly message: string;
}

/** Every problem of options built in code or parsed, in the words the CLI uses. */
export function validateBenchOptions(o: BenchOptions): OptionProblem[] {
  const found: OptionProblem[] = VALUE_KEYS.filter((key) => o[key] !== undefined && !satisfies(BENCH_OPTION_RULES[key], o[key])).map((key) => ({ key, ...problemOf(BENCH_OPTION_RULES[key], String(o[key])) }));
  if (o.model === undefined && o.target === undefined) found.push({ code: 'ERR_BAD_OPTION', message: `give --model (${MODEL_NAMES.join(', ')}) to start a server, or --target ws://host:port to drive a running one` });
  if (o.modelOptions && Object.keys(o.modelOptions).length > 0) {
    if (o.model === undefined) found.push({ code: 'ERR_BAD_OPTION', message: '--model-option applies to a started server (--model)' });
    else if (isModelName(o.model)) for (const message of modelOptionProblems(modelDescriptor(o.model), o.modelOptions, '--model-option')) found.push({ code: 'ERR_BAD_OPTION', message });
  }
  if (o.slowConsumerTimeoutSeconds !== undefined && o.slowConsumerPolicy !== 'disconnect') found.push({ code: 'ERR_BAD_OPTION', message: '--slow-consumer-timeout applies to --slow-consumer-policy disconnect only' });
  return found;
}

/**
 * The CLI's strings as typed options. Text that is not a number where one is needed is kept as
 * given, for `validateBenchOptions` (which `resolveBenchPlan` always runs) to name with every
 * other problem, in the order of the rules.
 */
export function parseBenchOptions(raw: RawBenchOptions): BenchOptions {
  const typed: Record<string, unknown> = {};
  for (const key of VALUE_KEYS) {
    const rule = BENCH_OPTION_RULES[key];
    const text = raw[rule.raw];
    if (typeof text !== 'string') continue;
    const numeric = rule.type === 'integer' ? /^\s*-?\d+\s*$/ : /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
    typed[key] = rule.type !== 'choice' && numeric.test(text) ? Number(text) : text;
  }
  // A pair without '=' is kept under its own text, so that validation names it as an unknown option.
  const modelOptions = Object.fromEntries(
    (raw.modelOption ?? []).map((pair) => {
      const at = pair.indexOf('=');
      return at > 0 ? [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] : [pair, ''];
    }),
  );
  return benchOptions({
    ...(typed as Partial<BenchOptions>),
    ...(Object.keys(modelOptions).length > 0 && { modelOptions }),
    ...(raw.target !== undefined && { target: raw.target }),
    ...(raw.scenario !== undefined && { scenario: raw.scenario }),
    ...(raw.closedLoop !== undefined && { closedLoop: raw.closedLoop }),
    ...(raw.out !== undefined && { outDir: raw.out }),
    ...(raw.json !== undefined && { printJson: raw.json }),
    ...(raw.serverMetrics !== undefined && { serverMetrics: raw.serverMetrics }),
    ...(raw.stopReading !== undefined && { stopReading: raw.stopReading }),
    ...(raw.pin !== undefined && { pin: raw.pin }),
  });
}

/** Options (those that differ from the defaults) as bench flags, for the command a result records. */
export function benchArgs(o: Partial<BenchOptions>): string[] {
  const args: string[] = [];
  if (o.scenario !== undefined) args.push('--scenario', o.scenario);
  if (o.target !== undefined) args.push('--target', o.target);
  const modelOptionArgs = Object.entries(o.modelOptions ?? {}).flatMap(([k, v]) => ['--model-option', `${k}=${v}`]);
  for (const key of VALUE_KEYS) {
    const value = o[key];
    const isDefault = (BENCH_DEFAULTS as Partial<Record<string, unknown>>)[key] === value;
    if (value !== undefined && !isDefault) args.push(BENCH_OPTION_RULES[key].flag, String(value));
    if (key === 'model') args.push(...modelOptionArgs);
  }
  if (o.closedLoop) args.push('--closed-loop');
  if (o.serverMetrics === false) args.push('--no-server-metrics');
  if (o.stopReading === false) args.push('--no-stop-reading');
  if (o.pin) args.push('--pin');
  if (o.debugDelayPerMessageUs !== undefined) args.push(`(server: --debug-delay-per-message-us ${o.debugDelayPerMessageUs})`);
  if (o.debugDropEvery !== undefined) args.push(`(server: --debug-drop-every ${o.debugDropEvery})`);
  return args;
}
