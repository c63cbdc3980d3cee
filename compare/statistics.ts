/**
 * The statistics behind a comparison, on the figures of repeated trials: the median with a
 * percentile-bootstrap confidence interval, and the ratio of two arms' medians with its interval
 * (each arm resampled on its own). Resampling and quantiles come from simple-statistics; the
 * random source is seeded, so the same trials give the same intervals.
 */
import { median, quantileSorted, sampleWithReplacement } from 'simple-statistics';

export const CONFIDENCE = 0.95;
/** A ratio within 1% of 1.0 is never called a difference, whatever its interval: below what this machine resolves. */
export const MIN_EFFECT = 0.01;
const RESAMPLES = 4000;

export interface Estimate {
  readonly median: number;
  /** Bootstrap interval of the median (95% nominal). */
  readonly low: number;
  readonly high: number;
  readonly trials: number;
  /**
   * The interval's real coverage for the median: exact and distribution-free from the order
   * statistics it spans (with 5 trials the interval is their min–max: 1 − 2/2⁵ = 93.75%, not 95%).
   */
  readonly coverage: number;
}

export interface RatioEstimate {
  /** median(a) / median(b). */
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
  /** The interval excludes 1.0 (and the ratio is at least MIN_EFFECT away from it): the arms differ beyond their run-to-run spread. */
  readonly significant: boolean;
  /** Fewer than 2 trials on a side: no interval, hence no verdict either way. */
  readonly singleRuns?: true;
  /** Trials on the smaller side. */
  readonly trials?: number;
}

/** The margin within which two arms are called equivalent: their ratio's whole interval inside 1 ± this. */
export const EQUIVALENCE_MARGIN = 0.1;

/** Whether the ratio's whole interval lies within 1 ± `margin` (a two-one-sided-tests reading of the interval). */
export function isEquivalent(e: RatioEstimate, margin = EQUIVALENCE_MARGIN): boolean {
  return !e.singleRuns && e.low >= 1 - margin && e.high <= 1 + margin;
}

/**
 * About how many trials per arm would let the interval decide — exclude 1, or fit within the
 * margin — assuming its width shrinks as 1/√n and the estimate stays where it is; undefined when
 * neither can be expected (the estimate sits on the margin) or the trials are not known.
 */
export function trialsToDecide(e: RatioEstimate, margin = EQUIVALENCE_MARGIN): number | undefined {
  if (!e.trials || e.singleRuns || e.low <= 0) return undefined;
  const halfWidth = (Math.log(e.high) - Math.log(e.low)) / 2;
  const distanceFromOne = Math.abs(Math.log(e.ratio));
  const roomInMargin = Math.min(Math.log(1 + margin) - Math.log(e.ratio), Math.log(e.ratio) - Math.log(1 - margin));
  const room = Math.max(distanceFromOne, roomInMargin);
  if (!(room > 0) || !(halfWidth > 0)) return undefined;
  return Math.ceil(e.trials * (halfWidth / room) ** 2);
}

function interval(samples: number[]): [number, number] {
  const sorted = samples.sort((x, y) => x - y);
  const tail = (1 - CONFIDENCE) / 2;
  return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
}

export function estimateMedian(values: readonly number[], random: () => number): Estimate {
  if (values.length === 0) throw new RangeError('no trials to estimate from');
  const data = [...values];
  const medians = Array.from({ length: RESAMPLES }, () => median(sampleWithReplacement(data, data.length, random)));
  const [low, high] = interval(medians);
  return { median: median(data), low, high, trials: data.length, coverage: orderStatisticCoverage(data, low, high) };
}

/**
 * P(X₍ⱼ₎ ≤ median ≤ X₍ₖ₎) for the order statistics j, k that bound [low, high]: the chance that
 * such an interval covers the population median, Σ_{i=j}^{k−1} C(n, i) / 2ⁿ, whatever the
 * distribution (sign-test reasoning).
 */
export function orderStatisticCoverage(values: readonly number[], low: number, high: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  const n = sorted.length;
  // The widest order statistics the interval's ends can be (ties give the benefit of the doubt).
  const j = sorted.filter((v) => v < low).length + 1;
  const k = sorted.filter((v) => v <= high).length;
  let covered = 0;
  for (let i = Math.max(j, 0); i <= Math.min(k - 1, n); i++) covered += binomial(n, i);
  return Math.round((covered / 2 ** n) * 10000) / 10000;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** The ratio of medians a / b; undefined when b's median is 0 (no ratio to speak of). */
export function estimateRatio(a: readonly number[], b: readonly number[], random: () => number): RatioEstimate | undefined {
  // simple-statistics takes mutable arrays: copy once, not once per resample.
  const as = [...a];
  const bs = [...b];
  const mb = median(bs);
  if (mb === 0 || as.length === 0) return undefined;
  const ratio = median(as) / mb;
  const trials = Math.min(as.length, bs.length);
  if (as.length < 2 || bs.length < 2) return { ratio, low: ratio, high: ratio, significant: false, singleRuns: true, trials };
  const ratios: number[] = [];
  for (let i = 0; i < RESAMPLES; i++) {
    const rb = median(sampleWithReplacement(bs, bs.length, random));
    if (rb !== 0) ratios.push(median(sampleWithReplacement(as, as.length, random)) / rb);
  }
  const [low, high] = interval(ratios);
  return { ratio, low, high, significant: (low > 1 || high < 1) && Math.abs(ratio - 1) >= MIN_EFFECT, trials };
}
