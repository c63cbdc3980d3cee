/** How a comparison's figures read in every report: a median with its interval, a ratio with its. */
import { fixed, METRICS, type ComparisonAnalysis, type MetricDefinition, type ScenarioComparison } from './analysis.ts';
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

/** A metric's label for a key: "latency p50", "sustainable rate within the p99 bound". */
export const metricLabel = (key: string): string => METRICS.find((m) => m.key === key)?.label ?? key;

/**
 * A scenario's figures as a grid, for every report to lay out its own way: the header (arms with
 * their completed trials, then each arm's ratio to the reference) and one row per metric any arm has.
 */
export function scenarioGrid(s: ScenarioComparison, analysis: ComparisonAnalysis): { head: string[]; rows: string[][] } {
  const others = s.arms.slice(1).map((a) => a.arm);
  const head = [...s.arms.map((a) => `${a.arm} (${a.completed}/${a.trials})`), ...others.map((o) => `${o} / ${analysis.reference}`)];
  const rows = METRICS.filter((metric) => s.arms.some((a) => a.metrics[metric.key] !== undefined)).map((metric) => {
    const finding = (arm: string) => s.ratios.find((r) => r.metric === metric.key && r.arm === arm);
    return [`${metric.label} (${metric.unit})`, ...s.arms.map((a) => formatEstimate(a.metrics[metric.key], metric.unit)), ...others.map((o) => formatRatio(finding(o)?.estimate, finding(o)?.inverse === true))];
  });
  return { head, rows };
}
