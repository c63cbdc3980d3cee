/** The terminal report: one table per scenario, arms side by side, ratios to the reference, the verdict under it. */
import Table from 'cli-table3';
import { armCaveats, type ComparisonAnalysis, type ScenarioComparison } from './analysis.ts';
import { metricLabel, scenarioGrid } from './format.ts';

export function renderComparison(analysis: ComparisonAnalysis, options: { color?: boolean } = {}): string {
  const tables = analysis.scenarios.map((s) => renderScenario(s, analysis, options.color === true)).join('\n\n');
  // The answer last, where a terminal leaves the eye: one line per scenario, on its primary metric.
  const answers = analysis.scenarios.map((s) => `${s.scenario} (on ${metricLabel(s.primaryMetric)}): ${s.verdict}`);
  return `${tables}\n\n${answers.join('\n')}`;
}

function renderScenario(s: ScenarioComparison, analysis: ComparisonAnalysis, color: boolean): string {
  const { head, rows } = scenarioGrid(s, analysis);
  const table = new Table({ head: [s.scenario, ...head], style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
  table.push(...rows);
  const flags = s.arms.map((a) => armCaveats(a, { balance: true }));
  if (flags.some((f) => f.length > 0)) table.push(['flags', ...flags.map((f) => f.join(', ') || '–'), ...s.arms.slice(1).map(() => '')]);
  return table.toString();
}
