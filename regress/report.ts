/**
 * The gate's result for people: one grid of findings (subject, metric, base, head, ratio with its
 * interval, T, verdict) laid out as a terminal table and as Markdown (the job summary), both read
 * from the typed result, never from each other.
 */
import Table from 'cli-table3';
import { fixed } from '../compare/analysis.ts';
import { formatEstimate } from '../compare/format.ts';
import { finalVerdict, type RegressResult } from './result.ts';
import { gateMetric } from './suite.ts';
import { OUTLYING_ROUNDS, type Finding } from './verdict.ts';
import { runtimeLabel } from '../common/runtime.ts';

const HEAD = ['subject', 'metric', 'base', 'head', 'head / base [interval]', 'T', 'verdict'];


function row(f: Finding, r: RegressResult): string[] {
  const m = gateMetric(f.metric);
  const ratio = f.estimate ? `${fixed(f.estimate.ratio)}× [${fixed(f.estimate.low)}–${fixed(f.estimate.high)}]` : '–';
  const past = f.decisive && (f.verdict === 'regressed' || f.verdict === 'improved') ? ` (${f.decisive.rounds - OUTLYING_ROUNDS} of ${f.decisive.rounds} rounds at ${fixed(nearEnd(f.decisive, f.verdict, m.better))}× or beyond)` : '';
  const verdict = finalVerdict(f, r.confirmations) + past + (f.reason ? ` (${f.reason})` : '');
  // compare's layout of a median and its interval (its `ms` rule: 2 decimals below 10, 1 below 100).
  const unit = m.unit === 'msg/s' ? 'msg/s' : 'ms';
  return [f.subject, `${m.label} (${m.unit})${m.gating ? '' : ', exploratory'}`, formatEstimate(f.base, unit), formatEstimate(f.other, unit), ratio, `${Math.round(f.threshold * 100)}%`, verdict];
}

/** The end of the decisive range nearest 1: the ratio that all rounds but the outlying ones reached (a regression of a lower-is-better metric reads its low end). */
function nearEnd(range: { low: number; high: number }, verdict: 'regressed' | 'improved', better: 'lower' | 'higher'): number {
  const upward = (verdict === 'regressed') === (better === 'lower');
  return upward ? range.low : range.high;
}

/** Gating rows first, and the worst verdicts first within them. */
function ordered(list: readonly Finding[]): Finding[] {
  const rank = { regressed: 0, inconclusive: 1, improved: 2, unchanged: 3 } as const;
  return [...list].sort((a, b) => Number(b.gating) - Number(a.gating) || rank[a.verdict] - rank[b.verdict]);
}

/** "head's server failed in echo · actor (round 1, on its retry too): faulty deliveries: lost 2.0% …" */
function describeFailure(f: RegressResult['failures'][number]): string {
  const side = f.side === 'head' ? "head's" : "base's";
  const what = f.subject === 'microbench' ? `${side} microbenchmarks failed` : `${side} server failed in ${f.subject}`;
  if (f.files.length === 0) return `${what}: ${f.cause}`;
  return `${what} (${f.round > 0 ? `round ${f.round}, ` : ''}and on its retry): ${f.cause}`;
}

export function headline(r: RegressResult): string {
  const confirmed = r.confirmations.filter((c) => c.confirmed);
  if (r.outcome === 'failed') return `FAILED: ${r.failures.map(describeFailure).join('; ')} — nothing to compare against`;
  if (r.outcome === 'regressed' && r.failures.length > 0) return `REGRESSED: ${r.failures.map(describeFailure).join('; ')}`;
  if (r.outcome === 'regressed') return `REGRESSED: ${confirmed.map((c) => `${c.subject} ${gateMetric(c.metric).label} ${fixed(c.rerun.estimate!.ratio)}×`).join(', ')} (past 1 + T in the run and in its rerun)`;
  const unconfirmed = r.confirmations.length - confirmed.length;
  const note = unconfirmed > 0 ? `; ${unconfirmed} regression(s) not confirmed by a rerun` : '';
  if (r.outcome === 'inconclusive') {
    const unjudged = r.confirmations.filter((c) => c.rerun.verdict === 'inconclusive').map((c) => `${c.subject} ${gateMetric(c.metric).label}`);
    const what = unjudged.length > 0 ? `${unjudged.join(', ')} looked regressed and its rerun could not be judged` : `${r.findings.filter((f) => f.gating && f.verdict === 'inconclusive').length} gating finding(s) could not be judged`;
    return `INCONCLUSIVE: ${what} (the load generator's self-check failed twice in too many rounds, replacement rounds included)${note}; no confirmed regression`;
  }
  return `PASSED: no gating metric past 1 + T${note}`;
}

/** "actor: closed loop 34,000 msg/s → echo 10,200 msg/s, broadcast 3/s; …" */
function loadDriven(r: RegressResult): string {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const list = Object.entries(r.load).map(([model, l]) => `${model}: closed loop ${n(l.closedLoopPerSec)} msg/s → echo ${n(l.rates.echo)} msg/s, broadcast ${n(l.rates.broadcast)}/s`);
  return list.length > 0 ? list.join('; ') : 'no load measured';
}

/** ", servers on Node v26.10.0 (V8 …)", or each side's when they differ; nothing for a result that did not record them. */
function serverRuntimes(r: RegressResult): string {
  if (!r.base.runtime || !r.head.runtime) return '';
  const [base, head] = [runtimeLabel(r.base.runtime), runtimeLabel(r.head.runtime)];
  return base === head ? `, servers on ${base}` : `, base's servers on ${base}, head's on ${head}`;
}

function context(r: RegressResult): string {
  const side = (s: RegressResult['base']) => `${s.ref}${s.commit ? ` (${s.commit.slice(0, 12)})` : ''}`;
  return `base ${side(r.base)} vs head ${side(r.head)}${r.serverCommand ? `, servers started with \`${r.serverCommand}\`` : serverRuntimes(r)}; ${r.suite.rounds} rounds per cell, base and head once each per round in a seeded random order (seed ${r.seed}); ${r.suite.clients} clients, ${r.suite.warmupSeconds} s warm-up, ${r.suite.durationSeconds} s measured, at ${Math.round(r.suite.loadShare * 100)}% of base's closed-loop echo throughput (${loadDriven(r)}). Ratios are medians of the per-round ratios with their exact interval; a metric regressed when at least ${r.suite.rounds - OUTLYING_ROUNDS} of its ${r.suite.rounds} rounds lie past 1 + T (regress.json's \`decisive\` range), in the run and in its confirmation rerun (thresholds: ${r.thresholdsSource}). ${r.machine}.`;
}

export function renderTable(r: RegressResult, o: { color: boolean }): string {
  const t = new Table({ head: HEAD, ...(!o.color && { style: { head: [], border: [] } }) });
  for (const f of ordered(r.findings)) t.push(row(f, r));
  const lines = [t.toString(), headline(r), ...r.warnings.map((w) => `warning: ${w}`)];
  if (r.calibratedThresholds) lines.push(`calibrated thresholds from this job's A/A arm: ${JSON.stringify(r.calibratedThresholds)}`);
  return lines.join('\n');
}

const md = (text: string): string => text.replace(/\|/g, '\\|');

export function renderMarkdown(r: RegressResult): string {
  const lines = [`## Performance gate: ${headline(r)}`, '', `\`${r.command}\``, '', context(r), ''];
  for (const w of r.warnings) lines.push(`> **warning:** ${w}`, '');
  lines.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const f of ordered(r.findings)) lines.push(`| ${row(f, r).map(md).join(' | ')} |`);
  if (r.confirmations.length > 0) {
    lines.push('', '### Confirmation reruns', '');
    for (const c of r.confirmations) lines.push(`- ${c.subject} ${gateMetric(c.metric).label}, seed ${c.seed}: ${c.rerun.estimate ? `${fixed(c.rerun.estimate.ratio)}× [${fixed(c.rerun.estimate.low)}–${fixed(c.rerun.estimate.high)}]` : 'no estimate'} → ${c.confirmed ? 'confirmed' : 'not confirmed'}`);
  }
  if (r.aaFindings.length > 0) {
    lines.push('', '### A/A arm (--calibrate): base#2 / base', '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const f of ordered(r.aaFindings)) lines.push(`| ${row(f, r).map(md).join(' | ')} |`);
    lines.push('', `Thresholds this runner calibrates to: \`${JSON.stringify(r.calibratedThresholds)}\` (save as a thresholds file and pass it with \`--thresholds\`).`);
  }
  const replaced = Object.entries(r.replacements ?? {});
  if (replaced.length > 0) lines.push('', `Replacement rounds for rounds that self-check failures left incomplete: ${replaced.map(([subject, n]) => `${subject} ${n}`).join(', ')}.`);
  if (r.problems.length > 0) lines.push('', '### Failed attempts', '', ...r.problems.map((p) => `- ${md(p.what)}: ${md(p.problem)}`));
  return `${lines.join('\n')}\n`;
}
