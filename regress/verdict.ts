/**
 * The gate's verdicts, pure: from each round's base and head figures to one finding per subject
 * (a cell, or a microbenchmark case) and metric. The ratio head/base is estimated by compare's
 * paired statistics (median of the per-round ratios, exact interval); a metric REGRESSED only when
 * the whole interval lies past 1 + T, T being that metric's threshold from base-vs-base runs.
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
  readonly threshold: number;
  readonly verdict: MetricVerdict;
  /** Why inconclusive. */
  readonly reason?: string;
}

export type Thresholds = Readonly<Record<GateMetric, number>>;

/** The fewest complete rounds whose paired interval (their min–max) reaches 95%. */
export const MIN_PAIRED_ROUNDS = 6;

export function judgeRatio(e: RatioEstimate, better: 'lower' | 'higher', t: number): MetricVerdict {
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
    return [{ ...common, ...summaries, estimate, verdict: judgeRatio(estimate, metric.better, threshold) }];
  });
}

/**
 * The calibration rule (README, "Thresholds, and calibrating them"). A metric regresses only when
 * every one of the R rounds' ratios lies past 1 + T, so under no change the chance is q^R, q being
 * the chance that one A/A round's ratio lies past 1 + T. T is set so that, over the m gating
 * findings of a run, q^R × m stays within GATE_FALSE_ALARM (before the confirmation rerun, which
 * must agree): q = (GATE_FALSE_ALARM / m)^(1/R), and T is the (1 − q) quantile of the A/A rounds'
 * ratios read in both tails — the worse direction and the better one, the larger of the two — so
 * that A/A runs lopsided by chance (one side faster in most rounds) cannot set a T that the next
 * unchanged run, lopsided the other way, passes; at least MIN_THRESHOLD, rounded up to 1%.
 */
export const GATE_FALSE_ALARM = 0.05;
export const MIN_THRESHOLD = 0.03;

export function calibratedThresholds(observations: readonly Observation[], aa: readonly Finding[], rounds: number, fallback: Thresholds): Thresholds {
  const out: Record<string, number> = { ...fallback };
  const judged = aa.filter((f) => f.estimate && !f.estimate.tooFewPairs);
  const m = Math.max(1, judged.filter((f) => f.gating).length);
  const q = (GATE_FALSE_ALARM / m) ** (1 / rounds);
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

/** The median of a subject's figures on a side, for the history. */
export function sideMedian(observations: readonly Observation[], subject: string, metric: GateMetric, side: Side): number | undefined {
  const values = observations.filter((o) => o.subject === subject && o.metric === metric && o.side === side && o.value !== undefined).map((o) => o.value!);
  return values.length > 0 ? median(values) : undefined;
}
