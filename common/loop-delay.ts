/** Event-loop delay as the servers and the load generator both report it. */
import type { ELDHistogram } from 'node:perf_hooks';
import type { LatencySummary } from './histogram.ts';

/**
 * monitorEventLoopDelay records the time between its timer's runs, which includes the timer's own
 * period: subtract it, so that an idle loop reads ~0 and a 200 ms stall reads ~200 ms.
 */
export function loopDelaySummary(d: ELDHistogram, resolutionMs: number): LatencySummary {
  if (d.count === 0) return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  const us = (ns: number): number => Math.max(0, Math.round(ns / 1000 - resolutionMs * 1000));
  return {
    count: d.count,
    min: us(d.min),
    mean: us(d.mean),
    stddev: Math.round(d.stddev / 1000),
    p50: us(d.percentile(50)),
    p90: us(d.percentile(90)),
    p99: us(d.percentile(99)),
    p999: us(d.percentile(99.9)),
    max: us(d.max),
  };
}
