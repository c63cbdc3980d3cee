/**
 * report.html: the comparison as one self-contained page (no network needed to open it). Chart.js
 * is read from node_modules and inlined, with the data, into the file. Per scenario: the latency
 * percentile distribution of each arm (HdrHistogram style, log scales, all trials merged), and for
 * each arm's median trial the throughput and p99 over time and the mailbox depth or lock waiters
 * over time. After drawing, the page writes what it drew into #render-check, so a headless browser
 * can tell that the charts rendered.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { decodeHistogram, mergeHistograms } from '../common/histogram.ts';
import type { CompletedResult } from '../loadgen/result.ts';
import type { ComparisonAnalysis, Trial } from './analysis.ts';
import { renderMarkdown, type ReportContext } from './report-markdown.ts';

/** Percentiles drawn in the distribution chart: dense towards the tail, as HdrHistogram plots do. */
const PERCENTILES = [0, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.975, 99.99, 99.995, 99.999];

interface Series {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: 'percentiles' | 'time';
  readonly yLabel: string;
  readonly logY: boolean;
  readonly series: readonly Series[];
}

/** Chart.js's browser build, next to the package's main file (its exports map does not list it). */
function chartJsSource(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(path.join(path.dirname(main), 'chart.umd.min.js'), 'utf8');
}

/** Latency at each percentile of an arm's trials merged, x as 1/(1−p) so the tail gets room. */
function distribution(trials: readonly CompletedResult[]): Series['points'] {
  const encoded = trials.map((t) => t.latencyByKind.echo?.histogram ?? t.latencyHistogram);
  if (encoded.length === 0) return [];
  const merged = mergeHistograms(encoded.map(decodeHistogram));
  return PERCENTILES.map((p) => ({ x: 1 / (1 - p / 100), y: Math.max(merged.getValueAtPercentile(p), 1) / 1000 }));
}

/** The trial whose p99 is the median of the arm's: the one to draw over time. */
function medianTrial(trials: readonly CompletedResult[]): CompletedResult | undefined {
  const sorted = trials.filter((t) => t.latency.p99 !== null).sort((a, b) => a.latency.p99! - b.latency.p99!);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function chartsFor(scenario: string, arms: readonly string[], trials: readonly Trial[]): ChartSpec[] {
  const completed = (arm: string): CompletedResult[] =>
    trials.filter((t) => t.scenario === scenario && t.arm === arm && t.result.status === 'completed').map((t) => t.result as CompletedResult);
  const slug = scenario.replace(/[^a-z0-9]+/gi, '-');
  const overTime = (read: (s: CompletedResult['timeSeries'][number]) => number | undefined): Series[] =>
    arms.map((arm) => {
      const trial = medianTrial(completed(arm));
      const points = (trial?.timeSeries ?? []).flatMap((s) => {
        const y = read(s);
        return y === undefined ? [] : [{ x: s.t, y }];
      });
      return { label: arm, points };
    });
  const charts: ChartSpec[] = [
    { id: `${slug}-distribution`, title: `${scenario}: latency by percentile (all trials merged)`, kind: 'percentiles', yLabel: 'latency (ms)', logY: true, series: arms.map((arm) => ({ label: arm, points: distribution(completed(arm)) })) },
    { id: `${slug}-throughput`, title: `${scenario}: messages received per second (median trial)`, kind: 'time', yLabel: 'msg/s', logY: false, series: overTime((s) => s.received) },
    { id: `${slug}-p99`, title: `${scenario}: p99 latency per second (median trial)`, kind: 'time', yLabel: 'p99 (ms)', logY: false, series: overTime((s) => (s.received > 0 ? s.p99 / 1000 : undefined)) },
  ];
  // Each arm's first contention gauge (the actor's mailbox depth, the mutex's lock waiters), whatever the model.
  const contention = overTime((s) => Object.values(s.server?.contention ?? {})[0]);
  if (contention.some((s) => s.points.length > 0)) {
    charts.push({ id: `${slug}-contention`, title: `${scenario}: contention — mailbox depth, lock waiters (median trial)`, kind: 'time', yLabel: 'messages or tasks', logY: false, series: contention });
  }
  return charts;
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Markdown tables as HTML tables, headings as headings: the same words as report.md. */
function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|')));
      i--;
      const [head, , ...body] = rows;
      out.push(`<table><thead><tr>${head!.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (line.startsWith('## ')) out.push(`<h2>${escapeHtml(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) out.push(`<h1>${escapeHtml(line.slice(2))}</h1>`);
    else if (line.startsWith('- ')) out.push(`<p class="flag">${escapeHtml(line.slice(2))}</p>`);
    else if (line.trim() !== '') out.push(`<p>${escapeHtml(line).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/\*(.+?)\*/g, '<em>$1</em>').replace(/`(.+?)`/g, '<code>$1</code>')}</p>`);
  }
  return out.join('\n');
}

export function renderHtml(analysis: ComparisonAnalysis, trials: readonly Trial[], context: ReportContext): string {
  const arms = analysis.scenarios[0]?.arms.map((a) => a.arm) ?? [];
  // A chart with no point to draw is a line that says so, never an empty axis from -1 to 1.
  const hasData = (c: ChartSpec): boolean => c.series.some((series) => series.points.length > 0);
  // A saturation comparison's runs were each at its own arm's limit: their latencies are not drawn side by side.
  const sections = analysis.scenarios.map((s) => {
    const all = analysis.saturation ? [] : chartsFor(s.scenario, arms, trials);
    return { scenario: s.scenario, charts: all.filter(hasData), empty: all.filter((c) => !hasData(c)) };
  });
  const charts = sections.flatMap((s) => s.charts);
  const body = markdownToHtml(renderMarkdown(analysis, context));
  const canvases = sections
    .map((s) =>
      [
        `<h2>${escapeHtml(s.scenario)}: charts</h2>`,
        ...s.charts.map((c) => `<figure><canvas id="${c.id}" width="900" height="360"></canvas></figure>`),
        ...s.empty.map((c) => `<p class="no-data">${escapeHtml(c.title)}: nothing to show (no trial has a point for it).</p>`),
        ...(analysis.saturation ? ['<p class="no-data">No charts for a saturation comparison: each search ran at its own arm\'s rates, so their latencies do not compare.</p>'] : []),
      ].join('\n'),
    )
    .join('\n');
  // JSON in a script element: only "</" could end it early, so it is escaped.
  const data = JSON.stringify(charts).replace(/<\//g, '<\\/');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Comparison ${context.runId}`)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; } th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; } code { background: #f4f4f4; padding: 0 0.2em; }
.flag { color: #a40; } figure { margin: 1em 0; }
</style></head><body>
${body}
${canvases}
<pre id="render-check">not rendered</pre>
<script>${chartJsSource()}</script>
<script>
const charts = ${data};
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
let drawn = 0, points = 0;
for (const spec of charts) {
  const canvas = document.getElementById(spec.id);
  const percentiles = spec.kind === 'percentiles';
  new Chart(canvas, {
    type: 'line',
    data: { datasets: spec.series.map((s, i) => ({ label: s.label, data: s.points, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: percentiles ? 2 : 0, borderWidth: 1.5, tension: 0 })) },
    options: {
      animation: false, responsive: false, parsing: false,
      plugins: { title: { display: true, text: spec.title } },
      scales: {
        x: percentiles
          ? { type: 'logarithmic', title: { display: true, text: 'percentile' }, ticks: { callback: (v) => { const p = 100 * (1 - 1 / v); const q = [0, 90, 99, 99.9, 99.99, 99.999].find((q) => Math.abs(q - p) < 1e-6); return q === undefined ? '' : q + '%'; } } }
          : { type: 'linear', title: { display: true, text: 'seconds since traffic began' } },
        y: { type: spec.logY ? 'logarithmic' : 'linear', title: { display: true, text: spec.yLabel } },
      },
    },
  });
  drawn++;
  points += spec.series.reduce((n, s) => n + s.points.length, 0);
}
document.getElementById('render-check').textContent = JSON.stringify({ charts: drawn, canvases: document.querySelectorAll('canvas').length, points });
</script>
</body></html>
`;
}
