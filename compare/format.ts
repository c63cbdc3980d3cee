/** How a comparison's figures read in every report: a median with its interval, a ratio with its. */
import { fixed, type MetricDefinition } from './analysis.ts';
import type { Estimate, RatioEstimate } from './statistics.ts';

const number = (x: number, unit: MetricDefinition['unit']): string =>
  unit === 'msg/s' ? Math.round(x).toLocaleString('en-US') : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US');

export function formatEstimate(e: Estimate | undefined, unit: MetricDefinition['unit']): string {
  if (!e) return '–';
  return `${number(e.median, unit)} [${number(e.low, unit)}–${number(e.high, unit)}]`;
}

export function formatRatio(r: RatioEstimate | undefined, inverse = false): string {
  if (!r) return '–';
  // The reference's median is 0: arm / reference is unbounded; shown with the reference / arm interval.
  if (inverse) return `∞ (reference 0; inverse [${fixed(r.low)}–${fixed(r.high)}])${r.significant ? '' : ' n.s.'}`;
  if (r.singleRuns) return `${fixed(r.ratio)}× (single runs)`;
  const text = `${fixed(r.ratio)}× [${fixed(r.low)}–${fixed(r.high)}]`;
  return r.significant ? text : `${text} n.s.`;
}
