/** Renders a sweep or a saturation search as one table, a row per point. */
import Table from 'cli-table3';
import type { CurvePoint, SaturationRun } from '../sweep-runner.ts';
import { unfinishedSummary } from '../result.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (us: number | null): string => (us === null ? '—' : (us / 1000).toFixed(us < 10_000 ? 2 : 1));

export function renderCurve(points: readonly CurvePoint[], options: { color?: boolean } = {}): string {
  const first = points[0];
  const table = new Table({
    head: [first?.parameter ?? 'point', 'sent/s', 'received/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'errors', 'verdict'],
    style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
  });
  for (const p of points) {
    const r = p.result;
    if (r.status !== 'completed') {
      table.push([int(p.value), { colSpan: 8, content: unfinishedSummary(r) }]);
      continue;
    }
    const marks = [r.verdict !== 'ok' ? r.verdict.toUpperCase() : '', r.stall ? `STALLED from s${r.stall.beganAtSecond}` : '', p.outcome ? (p.outcome.ok ? 'within bound' : p.outcome.reason) : ''].filter(Boolean);
    table.push([int(p.value), int(r.messages.sentPerSec), int(r.messages.receivedPerSec), ms(r.latency.p50), ms(r.latency.p99), ms(r.latency.max), int(r.messages.lost), int(r.errors.total), marks.join('; ') || 'ok']);
  }
  return table.toString();
}

/** The search's answer in one sentence, under its table. */
export function saturationVerdict(model: string, scenario: string, run: SaturationRun): string {
  const { sustainableRate, limitedBy } = run.outcome;
  const bound = `p99 ≤ ${run.sloP99Ms} ms`;
  if (sustainableRate === undefined) return `${model} · ${scenario}: not even the first rate held (${bound}); start lower with --rate`;
  if (limitedBy === 'loadgen') return `${model} · ${scenario}: sustains at least ${int(sustainableRate)} msg/s with ${bound}; beyond that the load generator could not keep up, so the server's limit is higher than this harness can show`;
  if (limitedBy === 'max-rate') return `${model} · ${scenario}: sustains at least ${int(sustainableRate)} msg/s with ${bound} (stopped at --max-rate)`;
  const failed = run.outcome.points.filter((p) => !p.outcome.ok && !p.outcome.loadgenLimited).sort((a, b) => a.rate - b.rate)[0];
  const above = failed && !failed.outcome.ok ? ` (the lowest failing rate, ${int(failed.rate)} msg/s: ${failed.outcome.reason})` : '';
  return `${model} · ${scenario}: highest sustainable rate ${int(sustainableRate)} msg/s with ${bound}, no loss, no errors${above}`;
}
