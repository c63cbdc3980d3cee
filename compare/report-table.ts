/** The terminal report: one table per scenario, arms side by side, ratios to the reference, the verdict under it. */
import Table from 'cli-table3';
import { armCaveats, METRICS, type ComparisonAnalysis, type ScenarioComparison } from './analysis.ts';
import { formatEstimate, formatRatio } from './format.ts';

export function renderComparison(analysis: ComparisonAnalysis, options: { color?: boolean } = {}): string {
  const tables = analysis.scenarios.map((s) => renderScenario(s, analysis, options.color === true)).join('\n\n');
  // The answer last, where a terminal leaves the eye: one line per scenario, on its primary metric.
  const answers = analysis.scenarios.map((s) => `${s.scenario} (on ${METRICS.find((m) => m.key === s.primaryMetric)?.label ?? s.primaryMetric}): ${s.verdict}`);
  return `${tables}\n\n${answers.join('\n')}`;
}

function renderScenario(s: ScenarioComparison, analysis: ComparisonAnalysis, color: boolean): string {
  const others = s.arms.slice(1).map((a) => a.arm);
  const table = new Table({
    head: [s.scenario, ...s.arms.map((a) => `${a.arm} (${a.completed}/${a.trials})`), ...others.map((o) => `${o} / ${analysis.reference}`)],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const metric of METRICS) {
    if (s.arms.every((a) => a.metrics[metric.key] === undefined)) continue;
    const finding = (arm: string) => s.ratios.find((r) => r.metric === metric.key && r.arm === arm);
    table.push([`${metric.label} (${metric.unit})`, ...s.arms.map((a) => formatEstimate(a.metrics[metric.key], metric.unit)), ...others.map((o) => formatRatio(finding(o)?.estimate, finding(o)?.inverse === true))]);
  }
  const flags = s.arms.map((a) => armCaveats(a, { balance: true }));
  if (flags.some((f) => f.length > 0)) table.push(['flags', ...flags.map((f) => f.join(', ') || '–'), ...others.map(() => '')]);
  return table.toString();
}
