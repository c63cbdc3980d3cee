/**
 * Runs a comparison's schedule: one fresh server and one bench run per scheduled trial — or, in a
 * saturation comparison, one whole search per trial — each result written under `raw/` as soon
 * as it exists (a long comparison cut short keeps what ran).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { readFinishedTrial, runTrial } from '../loadgen/trial-runner.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { benchArgs, type BenchOptions } from '../loadgen/bench-options.ts';
import type { ModelName } from '../common/models.ts';
import type { SaturationTrial, Trial } from './analysis.ts';
import type { ScheduledRun } from './schedule.ts';
import { unfinishedSummary, type BenchResult } from '../loadgen/result.ts';
import { findSaturation, judgePoint, SATURATION_STEPS } from '../loadgen/sweep.ts';

export interface CompareOptions {
  /** Bench options shared by every trial (scenario and model are set per run). */
  readonly bench: BenchOptions;
  readonly dir: string;
  readonly log: (line: string) => void;
  /** Each trial searches for the highest rate held within this p99 bound, from the scenario's (or --rate's) rate up. */
  readonly saturation?: { readonly sloP99Ms: number; readonly maxRate: number };
  /** An interrupt: the trial under way ends early (written as `interrupted`) and no other starts. */
  readonly signal?: AbortSignal;
  /** Resuming: a trial whose result is already in raw/ (completed or failed) is read, not run again. */
  readonly resume?: boolean;
}

const slug = (text: string): string => text.replace(/[^a-zA-Z0-9#-]+/g, '-').replace(/-+$/, '');

interface RunOutput {
  readonly result: BenchResult;
  /** Relative to the comparison's folder. */
  readonly file: string;
  /** Read from an earlier, interrupted run of the comparison (--resume). */
  readonly resumed?: boolean;
}

/** One bench run of a scheduled trial, its result written to raw/ under `name`. */
async function runOnce(run: ScheduledRun, o: CompareOptions, extra: Partial<BenchOptions>, name: string): Promise<RunOutput> {
  const options: BenchOptions = { ...o.bench, scenario: run.scenario, model: run.arm.model as ModelName, ...run.arm.benchOptions, ...extra };
  const file = path.join(o.dir, 'raw', `${name}.json`);
  const stored = o.resume ? readFinishedTrial(file) : undefined;
  if (stored) return { result: stored, file: path.relative(o.dir, file), resumed: true };
  const { result } = await runTrial({ plan: resolveBenchPlan(options), argv: [...benchArgs(options), `(compare arm ${run.arm.name}, round ${run.round})`], file, ...(o.signal && { signal: o.signal }) });
  return { result, file: path.relative(o.dir, file) };
}

function figure(r: BenchResult): string {
  if (r.status !== 'completed') return unfinishedSummary(r);
  const p99 = (r.latencyByKind.echo?.summary ?? r.latency).p99;
  return `p99 ${p99 === null ? '—' : `${(p99 / 1000).toFixed(1)} ms`}, ${Math.round(r.messages.receivedPerSec)} msg/s${r.verdict !== 'ok' ? `, ${r.verdict}` : ''}${r.stall ? ', STALLED' : ''}`;
}

const SEARCH_INTERRUPTED = new Error('the saturation search was interrupted');

/** A saturation trial: the search of `loadgen/sweep.ts`, each point a run of its own. */
async function searchTrial(run: ScheduledRun, o: CompareOptions, bound: NonNullable<CompareOptions['saturation']>, name: string, label: string): Promise<Trial> {
  const startRate = resolveBenchPlan({ ...o.bench, scenario: run.scenario, model: run.arm.model as ModelName, ...run.arm.benchOptions }).load.mode;
  if (startRate.kind !== 'open-loop') throw new Error('a saturation search raises an open-loop rate');
  const points: { rate: number; ok: boolean; reason?: string; file: string }[] = [];
  const outputs = new Map<number, RunOutput>();
  const outcome = await findSaturation({ ...SATURATION_STEPS, startRate: startRate.rate, maxRate: bound.maxRate }, async (rate) => {
    const output = await runOnce(run, o, { rate }, `${name}-rate${rate}`);
    if (output.result.status === 'interrupted') throw SEARCH_INTERRUPTED; // no more points: the search stops here
    const judged = judgePoint(output.result, bound.sloP99Ms);
    outputs.set(rate, output);
    points.push({ rate, ok: judged.ok, ...(!judged.ok && { reason: judged.reason }), file: output.file });
    o.log(`${label}: rate ${rate}: ${judged.ok ? 'held' : judged.reason}`);
    return judged;
  });
  // The run at the rate that held (the search names a rate it tried), or the first when none did.
  const shown = outputs.get(outcome.sustainableRate ?? points[0]!.rate) ?? outputs.get(points[0]!.rate)!;
  const saturation: SaturationTrial = { sloP99Ms: bound.sloP99Ms, sustainableRate: outcome.sustainableRate ?? null, limitedBy: outcome.limitedBy, points };
  return { scenario: run.scenario, arm: run.arm.name, round: run.round, file: shown.file, result: shown.result, saturation };
}

/** The trials that ran (all of them, unless an interrupt stopped the schedule: then `interrupted` is set). */
export async function runSchedule(schedule: readonly ScheduledRun[], o: CompareOptions): Promise<{ trials: Trial[]; interrupted: boolean }> {
  mkdirSync(path.join(o.dir, 'raw'), { recursive: true });
  const trials: Trial[] = [];
  for (const [i, run] of schedule.entries()) {
    if (o.signal?.aborted) return { trials, interrupted: true };
    const name = `${slug(run.scenario)}-${slug(run.arm.name)}-${run.round}`;
    const label = `[${i + 1}/${schedule.length}] ${run.scenario} · ${run.arm.name} · round ${run.round}`;
    if (o.saturation) {
      const trial = await searchTrial(run, o, o.saturation, name, label).catch((error: unknown) => {
        if (error === SEARCH_INTERRUPTED) return undefined;
        throw error;
      });
      if (!trial || o.signal?.aborted) return { trials, interrupted: true }; // its finished points stay in raw/ for --resume
      trials.push(trial);
      o.log(`${label}: sustainable rate ${trial.saturation?.sustainableRate ?? 'none (the first rate failed)'} msg/s, limited by ${trial.saturation?.limitedBy}`);
      continue;
    }
    const { result, file, resumed } = await runOnce(run, o, {}, name);
    if (result.status === 'interrupted') return { trials, interrupted: true };
    trials.push({ scenario: run.scenario, arm: run.arm.name, round: run.round, file, result });
    o.log(`${label}: ${figure(result)}${resumed ? ' (kept from the interrupted run)' : ''}`);
  }
  return { trials, interrupted: false };
}
