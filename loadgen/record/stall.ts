/**
 * Finds a server stall in a run's per-second samples: a measured second in which probes were
 * outstanding and (almost) nothing came back. A stall is reported from the first of two or more
 * such seconds in a row, with the second it began (counted from the start of the measured phase),
 * so that a report shows a stalled server for what it is, not as the healthy percentiles of the
 * few messages that got through.
 */
import type { TimeSeriesSample } from './time-series.ts';

export interface StallReport {
  /** Second of the measured phase in which the first stall began (0 = its first second). */
  readonly beganAtSecond: number;
  /** Measured seconds that were stalled, in all. */
  readonly stalledSeconds: number;
}

/** A second is stalled when it received less than this share of what was sent in it. */
const STALLED_SHARE = 0.01;
const MIN_RUN = 2;

export function detectStall(samples: readonly TimeSeriesSample[]): StallReport | undefined {
  const measured = samples.filter((s) => s.phase === 'measure');
  const stalled = measured.map((s) => s.outstanding > 0 && s.sent > 0 && s.received < s.sent * STALLED_SHARE);
  let began = -1;
  for (let i = 0; i + MIN_RUN <= stalled.length && began < 0; i++) {
    if (stalled.slice(i, i + MIN_RUN).every(Boolean)) began = i;
  }
  if (began < 0) return undefined;
  return { beganAtSecond: began, stalledSeconds: stalled.filter(Boolean).length };
}
