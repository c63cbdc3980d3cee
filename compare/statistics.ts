/**
 * The statistics behind a comparison, on the figures of repeated trials: the median with an exact,
 * distribution-free interval (order statistics, as the sign test gives it); the ratio of two arms'
 * medians with a percentile-bootstrap interval (each arm resampled on its own: its false-positive
 * rate is checked by simulation in test/calibration.test.ts); and, paired by round, the median of
 * the per-round ratios with the exact interval. Resampling and quantiles come from
 * simple-statistics; the random source is seeded, so the same trials give the same intervals.
 */
import { median, quantileSorted, sampleWithReplacement } from 'simple-statistics';

export const CONFIDENCE = 0.95;
/** A ratio within 1% of 1.0 is never called a difference, whatever its interval: below what this machine resolves. */
export const MIN_EFFECT = 0.01;
const RESAMPLES = 4000;

export interface Estimate {
  readonly median: number;
  /** The narrowest pair of order statistics covering the median with at least CONFIDENCE (or the min–max, when no pair can). */
  readonly low: number;
  readonly high: number;
  readonly trials: number;
  /**
   * The interval's real coverage of the median, exact and distribution-free: 97.85% for the 2nd
   * and 9th of 10 trials; with 5 trials the best there is, their min–max, covers 1 − 2/2⁵ = 93.75%.
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
  /** Trials on the smaller side (pairs, when paired by round). */
  readonly trials?: number;
  /** Paired by round: the interval is exact (order statistics of the per-round ratios), with this coverage. */
  readonly coverage?: number;
  /** Paired by round over fewer than 6 rounds: no interval reaches the confidence, so no verdict. */
  readonly tooFewPairs?: true;
}

/** The margin within which two arms are called equivalent: their ratio's whole interval inside 1 ± this. */
export const EQUIVALENCE_MARGIN = 0.1;

/** Whether the ratio's whole interval lies within 1 ± `margin` (a two-one-sided-tests reading of the interval). */
export function isEquivalent(e: RatioEstimate, margin = EQUIVALENCE_MARGIN): boolean {
  return !e.singleRuns && !e.tooFewPairs && e.low >= 1 - margin && e.high <= 1 + margin;
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

export function estimateMedian(values: readonly number[]): Estimate {
  if (values.length === 0) throw new RangeError('no trials to estimate from');
  const sorted = [...values].sort((x, y) => x - y);
  const { low, high, coverage } = exactMedianInterval(sorted);
  return { median: median(sorted), low, high, trials: sorted.length, coverage };
}

/**
 * The distribution-free interval of a median from sorted values: the order statistics X₍ⱼ₎, X₍ₙ₊₁₋ⱼ₎
 * with the largest j whose coverage P(X₍ⱼ₎ ≤ median ≤ X₍ₙ₊₁₋ⱼ₎) = 1 − 2·P(Binomial(n, ½) < j) is at
 * least CONFIDENCE; the min–max (j = 1) when even that falls short (n ≤ 5).
 */
export function exactMedianInterval(sorted: readonly number[]): { low: number; high: number; coverage: number } {
  const n = sorted.length;
  let j = 1;
  while (j + 1 <= n + 1 - (j + 1) && medianCoverage(n, j + 1) >= CONFIDENCE) j++;
  return { low: sorted[j - 1]!, high: sorted[n - j]!, coverage: Math.round(medianCoverage(n, j) * 10000) / 10000 };
}

/** 1 − 2·P(Binomial(n, ½) ≤ j − 1): the chance that the j-th smallest and j-th largest of n bracket the median. */
function medianCoverage(n: number, j: number): number {
  let tail = 0;
  for (let i = 0; i < j; i++) tail += binomial(n, i);
  return 1 - (2 * tail) / 2 ** n;
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

/**
 * Paired by round: the interleaving runs each arm once per round, so a round's two trials share
 * whatever the machine was doing then. The per-round ratios a/b have their median estimated with
 * the exact interval; significant as estimateRatio's is. Undefined with no complete pair.
 */
export function estimatePairedRatio(pairs: readonly (readonly [a: number, b: number])[]): RatioEstimate | undefined {
  // A round whose reference is 0 has no ratio; dropping it would drop exactly the rounds where a count differs.
  if (pairs.length === 0 || pairs.some(([, b]) => b === 0)) return undefined;
  const ratios = pairs.map(([a, b]) => a / b).sort((x, y) => x - y);
  const ratio = median(ratios);
  if (ratios.length < 2) return { ratio, low: ratio, high: ratio, significant: false, singleRuns: true, trials: ratios.length };
  const { low, high, coverage } = exactMedianInterval(ratios);
  // Below 6 pairs no interval reaches 95%: the estimate is shown, with no verdict either way.
  if (coverage < CONFIDENCE) return { ratio, low, high, significant: false, trials: ratios.length, coverage, tooFewPairs: true };
  return { ratio, low, high, significant: (low > 1 || high < 1) && Math.abs(ratio - 1) >= MIN_EFFECT, trials: ratios.length, coverage };
}

/**
 * The Clopper–Pearson ("exact") interval of a binomial proportion k/n: the p at which seeing k or
 * more (low), or k or fewer (high), has probability (1 − confidence)/2. Found by bisection on the
 * binomial tail, so it needs no beta quantile; exact for the small n of the gate's experiments.
 */
export function clopperPearson(k: number, n: number, confidence = CONFIDENCE): { readonly low: number; readonly high: number } {
  if (!(Number.isInteger(k) && Number.isInteger(n) && n > 0 && k >= 0 && k <= n)) throw new RangeError(`clopperPearson needs whole 0 ≤ k ≤ n, n > 0; got ${k} of ${n}`);
  const alpha = (1 - confidence) / 2;
  // P(X ≤ k) for X ~ Binomial(n, p), summed in logs for stability.
  const atMost = (x: number, p: number): number => {
    let sum = 0;
    let logChoose = 0;
    for (let i = 0; i <= x; i++) {
      if (i > 0) logChoose += Math.log((n - i + 1) / i);
      sum += Math.exp(logChoose + i * Math.log(p) + (n - i) * Math.log1p(-p));
    }
    return sum;
  };
  const solve = (f: (p: number) => number): number => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  // low: P(X ≥ k | p) = alpha, increasing in p; high: P(X ≤ k | p) = alpha, decreasing in p.
  const low = k === 0 ? 0 : solve((p) => alpha - (1 - atMost(k - 1, p)));
  const high = k === n ? 1 : solve((p) => atMost(k, p) - alpha);
  return { low, high };
}
