/**
 * Runs a comparison's schedule: one fresh server and one bench run per scheduled trial, each
 * result written under `raw/` as soon as it exists (a long comparison cut short keeps what ran).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBench } from '../loadgen/bench.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { benchArgs, type BenchOptions } from '../loadgen/bench-options.ts';
import type { ModelName } from '../common/models.ts';
import type { Trial } from './analysis.ts';
import type { ScheduledRun } from './schedule.ts';
import { unfinishedSummary } from '../loadgen/result.ts';

export interface CompareOptions {
  /** Bench options shared by every trial (scenario and model are set per run). */
  readonly bench: BenchOptions;
  readonly dir: string;
  readonly log: (line: string) => void;
}

const slug = (text: string): string => text.replace(/[^a-zA-Z0-9#-]+/g, '-').replace(/-+$/, '');

export async function runSchedule(schedule: readonly ScheduledRun[], o: CompareOptions): Promise<Trial[]> {
  const raw = path.join(o.dir, 'raw');
  mkdirSync(raw, { recursive: true });
  const trials: Trial[] = [];
  for (const [i, run] of schedule.entries()) {
    const options: BenchOptions = { ...o.bench, scenario: run.scenario, model: run.arm.model as ModelName, ...run.arm.benchOptions };
    const plan = resolveBenchPlan(options);
    const result = await runBench(plan, [...benchArgs(options), `(compare arm ${run.arm.name}, round ${run.round})`]);
    const file = path.join(raw, `${slug(run.scenario)}-${slug(run.arm.name)}-${run.round}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    trials.push({ scenario: run.scenario, arm: run.arm.name, round: run.round, file: path.relative(o.dir, file), result });
    const r = result;
    const figure = r.status === 'completed' ? `p99 ${((r.latencyByKind.echo?.summary ?? r.latency).p99 / 1000).toFixed(1)} ms, ${Math.round(r.messages.receivedPerSec)} msg/s${r.verdict !== 'ok' ? `, ${r.verdict}` : ''}${r.stall ? ', STALLED' : ''}` : unfinishedSummary(r);
    o.log(`[${i + 1}/${schedule.length}] ${run.scenario} · ${run.arm.name} · round ${run.round}: ${figure}`);
  }
  return trials;
}
