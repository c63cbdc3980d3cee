/**
 * The one histogram module: every latency in the project is recorded here, in microseconds, with
 * hdr-histogram-js (3 significant digits, 1 µs to 10 min), and travels as its compressed base64
 * encoding so that runs can be stored, merged and compared without loss.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

const LOWEST_US = 1;
const HIGHEST_US = 600_000_000;
const SIGNIFICANT_DIGITS = 3;

export function createLatencyHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records a duration given in nanoseconds; values below 1 µs count as 1 µs. */
export function recordNs(histogram: Histogram, durationNs: number): void {
  histogram.recordValue(toMicros(durationNs));
}

/** A duration in ns as the histograms hold it: whole µs within their range. */
export function toMicros(durationNs: number): number {
  const us = Math.round(durationNs / 1000);
  return us < LOWEST_US ? LOWEST_US : us > HIGHEST_US ? HIGHEST_US : us;
}

/**
 * Percentiles of one histogram, all in microseconds; null when nothing was recorded (an empty
 * histogram has no p99, and 0 would read as the best latency there is).
 */
export interface LatencySummary {
  readonly count: number;
  readonly min: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
}

/** The summary of an empty histogram. */
export const EMPTY_SUMMARY: LatencySummary = { count: 0, min: null, mean: null, stddev: null, p50: null, p90: null, p99: null, p999: null, max: null };

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return EMPTY_SUMMARY;
  return {
    count: histogram.totalCount,
    min: histogram.minNonZeroValue,
    mean: round(histogram.mean),
    stddev: round(histogram.stdDeviation),
    p50: percentile(histogram, 50),
    p90: percentile(histogram, 90),
    p99: percentile(histogram, 99),
    p999: percentile(histogram, 99.9),
    max: histogram.maxValue,
  };
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Decodes and adds encoded histograms (partial measurements merge this way). */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  return mergeHistograms(encoded.map(decodeHistogram));
}

/** Adds several histograms into a new one (agents' histograms merge this way). */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const merged = createLatencyHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}

/** HDR reports a bucket's highest equivalent value, which can pass the recorded max: cap it there. */
function percentile(histogram: Histogram, p: number): number {
  return Math.min(histogram.getValueAtPercentile(p), histogram.maxValue);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
