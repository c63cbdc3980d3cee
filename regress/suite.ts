/**
 * The regression gate's fixed suite, as data: which cells (scenario × model) run, how long, at
 * what load, how many rounds; and the metrics read from each trial. Everything the gate runs is
 * named here, so the README's description and the command cannot drift apart.
 */
import type { ModelName } from '../common/models.ts';

export const SUITE_SCENARIOS = ['echo', 'broadcast'] as const;
export type SuiteScenario = (typeof SUITE_SCENARIOS)[number];

export const SUITE_MODELS = ['actor', 'mutex', 'baseline'] as const satisfies readonly ModelName[];

export interface SuiteSettings {
  readonly scenarios: readonly SuiteScenario[];
  /** Models of this project; with --server-cmd, one cell per scenario named `server`. */
  readonly models: readonly string[];
  readonly clients: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Rounds per cell: each round runs base and head once each, in a seeded random order. */
  readonly rounds: number;
  /** Load, as a share of base's closed-loop echo throughput (measured in the same job). */
  readonly loadShare: number;
  /** Microbenchmark rounds (0: none); each runs the MICROBENCH_CASES once per side. */
  readonly microbenchRounds: number;
}

/**
 * 6 rounds: the fewest whose paired interval (min–max of the per-round ratios) covers the median
 * ratio with ≥ 95% (96.9%). 1,000 clients, 1 s warm-up, 2 s measured: about 4.5 s a trial here.
 * 30% of the closed-loop rate, not half: that rate is the load generator's own limit (its core is
 * full first), and at half of it its self-check failed in 3–5 of 72 trials per run; at 30%, in 0.
 */
export const DEFAULT_SUITE: SuiteSettings = {
  scenarios: SUITE_SCENARIOS,
  models: SUITE_MODELS,
  clients: 1000,
  warmupSeconds: 1,
  durationSeconds: 2,
  rounds: 6,
  loadShare: 0.3,
  microbenchRounds: 6,
};

/** The primitives' cases the gate times (a subset of `npm run microbench`: one per primitive and model). */
export const MICROBENCH_FILTER = '^(lock acquire\\+release · (fifo|async-mutex) · 1 task|registry round trip \\(size\\) · (actor|mutex|baseline) · 10 tasks|broadcast to 1,000 queues · (actor|mutex|baseline) · 1 task)$';

export interface Cell {
  readonly scenario: SuiteScenario;
  readonly model: string;
}

export const cellName = (c: Cell): string => `${c.scenario} · ${c.model}`;

export function suiteCells(s: SuiteSettings): Cell[] {
  return s.scenarios.flatMap((scenario) => s.models.map((model) => ({ scenario, model })));
}

/** Open-loop rates from base's closed-loop echo throughput: echo at the share, broadcast at as many deliveries per second. */
export function suiteRates(closedLoopPerSec: number, s: SuiteSettings): Record<SuiteScenario, number> {
  const echo = Math.max(1, Math.round(closedLoopPerSec * s.loadShare));
  return { echo, broadcast: Math.max(1, Math.round(echo / s.clients)) };
}

/** The figures of one trial that the gate compares. */
export const TRIAL_METRICS = ['p50', 'p99', 'throughput', 'cpuPerMessage'] as const;
export type TrialMetric = (typeof TRIAL_METRICS)[number];
export type GateMetric = TrialMetric | 'microbench';

export interface GateMetricDefinition {
  readonly key: GateMetric;
  readonly label: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  /**
   * Whether a confirmed regression on it fails the gate. The others are exploratory, as in
   * `compare`: shown with their verdicts, never failing a build (open-loop throughput only drops when
   * the server saturates; p99 of a 2 s trial is set by single pauses).
   */
  readonly gating: boolean;
}

export const GATE_METRICS: readonly GateMetricDefinition[] = [
  { key: 'p50', label: 'latency p50', unit: 'ms', better: 'lower', gating: true },
  { key: 'cpuPerMessage', label: 'server CPU per message', unit: 'µs', better: 'lower', gating: true },
  { key: 'microbench', label: 'mean time per iteration', unit: 'µs', better: 'lower', gating: true },
  { key: 'p99', label: 'latency p99', unit: 'ms', better: 'lower', gating: false },
  { key: 'throughput', label: 'received/s', unit: 'msg/s', better: 'higher', gating: false },
];

export const gateMetric = (key: GateMetric): GateMetricDefinition => GATE_METRICS.find((m) => m.key === key)!;
