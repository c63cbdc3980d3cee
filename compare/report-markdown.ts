/** report.md: the comparison as a pull-request comment would show it, tables and verdicts. */
import { armCaveats, type ComparisonAnalysis } from './analysis.ts';
import { metricLabel, scenarioGrid } from './format.ts';

export interface ReportContext {
  readonly runId: string;
  readonly command: string;
  readonly machine: string;
  readonly trials: number;
  readonly seed: number;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export function renderMarkdown(analysis: ComparisonAnalysis, context: ReportContext): string {
  const lines = [
    `# Comparison ${context.runId}`,
    '',
    `\`${context.command}\``,
    '',
    // The answer first: one line per scenario, on its primary metric, before any table.
    ...analysis.scenarios.flatMap((s) => [`**${s.scenario}** (on ${metricLabel(s.primaryMetric)}): ${s.verdict}`, '']),
    `${context.trials} trials per arm, interleaved in a seeded random order within each round (seed ${context.seed})${analysis.saturation ? `; each trial a search for the highest open-loop rate held with p99 ≤ ${analysis.saturation.sloP99Ms} ms` : ''}. Medians over the trials, in brackets their exact distribution-free interval${coverageNote(analysis)}. ${ratioNote(analysis)} ${context.machine}.`,
    '',
  ];
  for (const s of analysis.scenarios) {
    lines.push(
      `## ${s.scenario}`,
      '',
      `**${s.verdict}**`,
      '',
      analysis.saturation
        ? `The verdict stands on the sustainable rate; each arm's other figures were measured at its own limit, so they are not compared.`
        : `The verdict stands on the primary metric, **${metricLabel(s.primaryMetric)}** (named by the scenario); a difference on another metric is exploratory: not corrected for multiple comparisons.`,
      '',
    );
    const { head, rows } = scenarioGrid(s, analysis);
    lines.push(`| metric | ${head.map(cell).join(' | ')} |`, `|---|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`));
    const flags = s.arms.map((a) => ({ arm: a.arm, notes: armCaveats(a, { balance: true }) })).filter((f) => f.notes.length > 0);
    if (flags.length > 0) {
      lines.push('', ...flags.map((f) => `- ${f.arm}: ${f.notes.join('; ')}`), '', 'A loadgen-saturated trial\'s figures are partly the load generator\'s; an unbalanced one had deliveries it could not account for, or no server counts to check them against.');
    }
    lines.push('');
  }
  lines.push('Raw results of every trial, with full histograms, are in `raw/`; `compare.json` holds this analysis.', '');
  return lines.join('\n');
}

/** What the medians' intervals cover: the coverage each really has for this number of trials. */
function coverageNote(analysis: ComparisonAnalysis): string {
  const coverages = analysis.scenarios.flatMap((s) => s.arms.flatMap((a) => Object.values(a.metrics).map((e) => e?.coverage))).filter((c): c is number => c !== undefined);
  if (coverages.length === 0) return '';
  const pct = (c: number): string => `${Math.round(c * 10000) / 100}%`;
  const [lo, hi] = [Math.min(...coverages), Math.max(...coverages)];
  const range = lo === hi ? pct(lo) : `${pct(lo)}–${pct(hi)}`;
  return lo >= analysis.confidence ? ` (coverage of the median ${range})` : ` (coverage of the median ${range}: with this few trials ${Math.round(analysis.confidence * 100)}% cannot be had)`;
}

/** How the ratios were estimated, and what *n.s.* means. */
function ratioNote(analysis: ComparisonAnalysis): string {
  const how =
    analysis.pairing === 'by-round'
      ? `Ratios are the median of the per-round ratios of each arm to the reference arm (**${analysis.reference}**), paired by round, with their exact order-statistic interval (at least 95% from 6 complete rounds on; fewer give no verdict)`
      : `Ratios are each arm's median over the reference arm's (**${analysis.reference}**), with ${Math.round(analysis.confidence * 100)}% bootstrap intervals (each arm resampled on its own)`;
  return `${how}; *n.s.* when the interval covers 1.0.`;
}
