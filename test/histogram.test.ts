import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, mergeHistograms, recordNs, summarize } from '../common/histogram.ts';

describe('latency histograms', () => {
  it('record nanoseconds as microseconds and summarise percentiles', () => {
    const h = createLatencyHistogram();
    for (let us = 1; us <= 1000; us++) recordNs(h, us * 1000);
    const s = summarize(h);
    expect(s.count).toBe(1000);
    expect(s.min).toBe(1);
    expect(s.p50).toBeGreaterThanOrEqual(499);
    expect(s.p50).toBeLessThanOrEqual(501);
    expect(s.p99).toBeGreaterThanOrEqual(989);
    expect(s.max).toBeGreaterThanOrEqual(999);
  });

  it('count sub-microsecond durations as 1 µs', () => {
    const h = createLatencyHistogram();
    recordNs(h, 200);
    expect(summarize(h).max).toBe(1);
  });

  it('survive encode and decode without loss, and merge by adding counts', () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (let i = 0; i < 500; i++) recordNs(a, 1_000_000);
    for (let i = 0; i < 500; i++) recordNs(b, 3_000_000);
    const decoded = decodeHistogram(encodeHistogram(a));
    expect(summarize(decoded)).toEqual(summarize(a));
    const merged = mergeHistograms([decoded, b]);
    expect(merged.totalCount).toBe(1000);
    expect(summarize(merged).p99).toBeGreaterThan(summarize(a).p99!);
  });

  it('summarise an empty histogram as nulls, never zeros (0 would read as the best latency there is)', () => {
    expect(summarize(createLatencyHistogram())).toEqual({ count: 0, min: null, mean: null, stddev: null, p50: null, p90: null, p99: null, p999: null, max: null });
  });
});
