/**
 * The gate's verdicts, pure: from each round's base and head figures to one finding per subject
 * (a cell, or a microbenchmark case) and metric. The ratio head/base is estimated by compare's
 * paired statistics (median of the per-round ratios, exact interval); a metric REGRESSED only when
 * every complete round but one lies past 1 + T (OUTLYING_ROUNDS), T being that metric's threshold
 * from base-vs-base runs.
 */
import { median, quantile } from 'simple-statistics';
import { estimateMedian, estimatePairedRatio, type Estimate, type RatioEstimate } from '../compare/statistics.ts';
import { gateMetric, type GateMetric } from './suite.ts';

export type Side = 'base' | 'head' | 'base#2';

export type MetricVerdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive';

/** One round's figure of a subject on one side; undefined when its trial failed its self-check twice (a hole). */
export interface Observation {
  readonly subject: string;
  readonly metric: GateMetric;
  readonly side: Side;
  readonly round: number;
  readonly value: number | undefined;
}

export interface Finding {
  readonly subject: string;
  readonly metric: GateMetric;
  readonly gating: boolean;
  /** The compared side: head, or base#2 in the A/A arm of --calibrate. */
  readonly side: Exclude<Side, 'base'>;
  readonly base?: Estimate;
  readonly other?: Estimate;
  /** other/base, paired by round. */
  readonly estimate?: RatioEstimate;
  /** The range of the rounds' ratios the verdict reads: all but the OUTLYING_ROUNDS most extreme at each end. */
  readonly decisive?: { readonly low: number; readonly high: number; readonly rounds: number };
  readonly threshold: number;
  readonly verdict: MetricVerdict;
  /** Why inconclusive. */
  readonly reason?: string;
}

export type Thresholds = Readonly<Record<GateMetric, number>>;

/** The fewest complete rounds whose paired interval (their min–max) reaches 95%. */
export const MIN_PAIRED_ROUNDS = 6;

/**
 * Rounds a verdict may overrule at each end: a regression needs every complete round but this many
 * past 1 + T. One, because on a shared host one round in six can have its two trials on different
 * machines in effect: in "slow spells" every trial on the servers' CPU costs 1.6–1.9× the CPU per
 * message for tens of seconds to minutes, and a spell that starts or ends between a round's base
 * and head trials makes that round's ratio say nothing about the code (docs/gate.md). With every
 * round required, one such round hid a real 1.5× regression in 3 of 10 runs.
 */
export const OUTLYING_ROUNDS = 1;

/** The rounds' ratios with the OUTLYING_ROUNDS lowest and highest left out: the range a verdict reads. */
export function decisiveRange(ratios: readonly number[]): { low: number; high: number; rounds: number } {
  const sorted = [...ratios].sort((a, b) => a - b);
  const k = sorted.length > 2 * OUTLYING_ROUNDS ? OUTLYING_ROUNDS : 0;
  return { low: sorted[k]!, high: sorted[sorted.length - 1 - k]!, rounds: sorted.length };
}

/** Regressed when the whole range (low–high, read in the metric's worse direction) lies past 1 + T; improved when it lies below 1/(1 + T). */
export function judgeRatio(e: { readonly low: number; readonly high: number }, better: 'lower' | 'higher', t: number): MetricVerdict {
  const worseLow = better === 'lower' ? e.low : 1 / e.high;
  const worseHigh = better === 'lower' ? e.high : 1 / e.low;
  if (worseLow > 1 + t) return 'regressed';
  if (worseHigh < 1 / (1 + t)) return 'improved';
  return 'unchanged';
}

export function findings(observations: readonly Observation[], thresholds: Thresholds, side: Exclude<Side, 'base'> = 'head'): Finding[] {
  const keys = [...new Set(observations.map((o) => `${o.subject}\u0000${o.metric}`))];
  return keys.flatMap((key): Finding[] => {
    const [subject, metricKey] = key.split('\u0000') as [string, GateMetric];
    const metric = gateMetric(metricKey);
    const of = (s: Side) => observations.filter((o) => o.subject === subject && o.metric === metricKey && o.side === s);
    const base = of('base');
    const other = of(side);
    // A subject one side lacks (a microbenchmark case older code does not have) is not compared.
    if (base.length === 0 || other.length === 0) return [];
    const threshold = thresholds[metricKey];
    const common = { subject, metric: metricKey, gating: metric.gating, side, threshold };
    const missing = [...base, ...other].filter((o) => o.value === undefined);
    const values = (list: readonly Observation[]) => list.flatMap((o) => (o.value === undefined ? [] : [o.value]));
    const summaries = { ...(values(base).length > 0 && { base: estimateMedian(values(base)) }), ...(values(other).length > 0 && { other: estimateMedian(values(other)) }) };
    const pairs = other.flatMap((o) => {
      const b = base.find((x) => x.round === o.round)?.value;
      return o.value === undefined || b === undefined ? [] : [[o.value, b] as [number, number]];
    });
    const estimate = estimatePairedRatio(pairs);
    // Rounds with a hole (a self-check failed twice) are left out; replacement rounds make up for them, up to a point.
    if (missing.length > 0 && pairs.length < MIN_PAIRED_ROUNDS) {
      const rounds = [...new Set(missing.map((m) => `${m.side} round ${m.round}`))].join(', ');
      return [{ ...common, ...summaries, ...(estimate && { estimate }), verdict: 'inconclusive', reason: `${pairs.length} complete rounds: self-check failed twice (${rounds})` }];
    }
    if (!estimate || estimate.tooFewPairs || estimate.singleRuns) {
      const why = !estimate ? (pairs.some(([, b]) => b === 0) ? 'a base figure of 0' : 'no complete round') : `${pairs.length} complete rounds (6 needed for a 95% paired interval)`;
      return [{ ...common, ...summaries, ...(estimate && { estimate }), verdict: 'inconclusive', reason: why }];
    }
    const decisive = decisiveRange(pairs.map(([a, b]) => a / b));
    return [{ ...common, ...summaries, estimate, decisive, verdict: judgeRatio(decisive, metric.better, threshold) }];
  });
}

/**
 * The calibration rule (docs/gate.md, "Thresholds, and calibrating them"). A metric regresses only
 * when at least R − OUTLYING_ROUNDS of the R rounds' ratios lie past 1 + T, so under no change the
 * chance is P(q) = P(Binomial(R, q) ≥ R − OUTLYING_ROUNDS), q being the chance that one A/A round's
 * ratio lies past 1 + T. T is set so that, over the m gating findings of a run, P(q) × m stays
 * within GATE_FALSE_ALARM (before the confirmation rerun, which must agree): q solves
 * P(q) = GATE_FALSE_ALARM / m, and T is the (1 − q) quantile of the A/A rounds'
 * ratios read in both tails — the worse direction and the better one, the larger of the two — so
 * that A/A runs lopsided by chance (one side faster in most rounds) cannot set a T that the next
 * unchanged run, lopsided the other way, passes; at least MIN_THRESHOLD, rounded up to 1%.
 */
export const GATE_FALSE_ALARM = 0.05;
export const MIN_THRESHOLD = 0.03;

/** `runs`: how many runs `aa` pools (m is the gating findings of one run, not of all pooled). */
export function calibratedThresholds(observations: readonly Observation[], aa: readonly Finding[], rounds: number, fallback: Thresholds, runs = 1): Thresholds {
  const out: Record<string, number> = { ...fallback };
  const judged = aa.filter((f) => f.estimate && !f.estimate.tooFewPairs);
  const m = Math.max(1, Math.round(judged.filter((f) => f.gating).length / runs));
  const q = roundShare(GATE_FALSE_ALARM / m, rounds);
  for (const metric of Object.keys(fallback) as GateMetric[]) {
    const better = gateMetric(metric).better;
    const ratios = judged
      .filter((f) => f.metric === metric)
      .flatMap((f) => {
        const of = (side: Side, round: number) => observations.find((o) => o.subject === f.subject && o.metric === metric && o.side === side && o.round === round)?.value;
        return observations
          .filter((o) => o.subject === f.subject && o.metric === metric && o.side === 'base#2' && o.value !== undefined)
          .flatMap((o) => {
            const base = of('base', o.round);
            return base === undefined || base === 0 || o.value === 0 ? [] : [better === 'lower' ? o.value! / base : base / o.value!];
          });
      });
    if (ratios.length === 0) continue;
    const tail = (list: number[]): number => quantile(list, 1 - q) - 1;
    const both = Math.max(tail(ratios), tail(ratios.map((r) => 1 / r)));
    out[metric] = Math.max(MIN_THRESHOLD, Math.ceil(both * 100 - 1e-9) / 100);
  }
  return out as Thresholds;
}

/** The chance q per round at which at least R − OUTLYING_ROUNDS of R independent rounds lie past 1 + T with probability `budget` (bisection: that chance rises with q). */
export function roundShare(budget: number, rounds: number): number {
  const atLeast = (q: number): number => {
    let sum = 0;
    for (let j = Math.max(0, rounds - OUTLYING_ROUNDS); j <= rounds; j++) sum += binomial(rounds, j) * q ** j * (1 - q) ** (rounds - j);
    return sum;
  };
  let low = 0;
  let high = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (atLeast(mid) > budget) high = mid;
    else low = mid;
  }
  return low;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** The median of a subject's figures on a side, for the history. */
export function sideMedian(observations: readonly Observation[], subject: string, metric: GateMetric, side: Side): number | undefined {
  const values = observations.filter((o) => o.subject === subject && o.metric === metric && o.side === side && o.value !== undefined).map((o) => o.value!);
  return values.length > 0 ? median(values) : undefined;
}
