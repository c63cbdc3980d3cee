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
  /** 95% interval of the median. */
  readonly low: number;
  readonly high: number;
  readonly trials: number;
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
  return { median: median(data), low, high, trials: data.length };
}

/** The ratio of medians a / b; undefined when b's median is 0 (no ratio to speak of). */
export function estimateRatio(a: readonly number[], b: readonly number[], random: () => number): RatioEstimate | undefined {
  // simple-statistics takes mutable arrays: copy once, not once per resample.
  const as = [...a];
  const bs = [...b];
  const mb = median(bs);
  if (mb === 0 || as.length === 0) return undefined;
  const ratio = median(as) / mb;
  if (as.length < 2 || bs.length < 2) return { ratio, low: ratio, high: ratio, significant: false, singleRuns: true };
  const ratios: number[] = [];
  for (let i = 0; i < RESAMPLES; i++) {
    const rb = median(sampleWithReplacement(bs, bs.length, random));
    if (rb !== 0) ratios.push(median(sampleWithReplacement(as, as.length, random)) / rb);
  }
  const [low, high] = interval(ratios);
  return { ratio, low, high, significant: (low > 1 || high < 1) && Math.abs(ratio - 1) >= MIN_EFFECT };
}
