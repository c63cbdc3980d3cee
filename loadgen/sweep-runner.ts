/**
 * `--sweep` and `--find-saturation`: one fresh server and one bench run per point, each result
 * written as usual, then a summary of the curve (also written, as JSON). The search strategy
 * itself lives in sweep.ts; this module only turns points into runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveBenchPlan } from './plan.ts';
import type { BenchOptions } from './bench-options.ts';
import type { BenchResult } from './result.ts';
import type { RunObserver } from './runner.ts';
import { resultFileName } from './report/json-file.ts';
import { runTrial } from './trial-runner.ts';
import { findSaturation, judgePoint, SATURATION_STEPS, type PointOutcome, type SaturationOutcome, type SweepSpec } from './sweep.ts';

export const SWEEP_SCHEMA_VERSION = 1;

export interface CurvePoint {
  readonly parameter: string;
  readonly value: number;
  readonly file: string;
  readonly result: BenchResult;
  /** Only in a saturation search. */
  readonly outcome?: PointOutcome;
}

export interface SweepRunOptions {
  readonly bench: BenchOptions;
  readonly argv: readonly string[];
  readonly observer: RunObserver;
  readonly log: (line: string) => void;
}

async function runPoint(o: SweepRunOptions, parameter: 'clients' | 'rate', value: number): Promise<{ result: BenchResult; file: string }> {
  const plan = resolveBenchPlan({ ...o.bench, [parameter]: value });
  o.log(`--- ${parameter} = ${value} ---`);
  return runTrial({ plan, argv: [...o.argv, `(${parameter}=${value})`], observer: o.observer, file: (result) => path.join(plan.outDir, resultFileName(result)) });
}

export async function runSweep(spec: SweepSpec, o: SweepRunOptions): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (const value of spec.values) {
    const { result, file } = await runPoint(o, spec.parameter, value);
    points.push({ parameter: spec.parameter, value, file, result });
  }
  return points;
}

export interface SaturationRun {
  readonly sloP99Ms: number;
  readonly outcome: SaturationOutcome;
  readonly points: readonly CurvePoint[];
}

export async function runSaturationSearch(o: SweepRunOptions, startRate: number, sloP99Ms: number, maxRate: number): Promise<SaturationRun> {
  const points: CurvePoint[] = [];
  const outcome = await findSaturation({ ...SATURATION_STEPS, startRate, maxRate }, async (rate) => {
    const { result, file } = await runPoint(o, 'rate', rate);
    const judged = judgePoint(result, sloP99Ms);
    points.push({ parameter: 'rate', value: rate, file, result, outcome: judged });
    o.log(judged.ok ? `rate ${rate}: within the bound` : `rate ${rate}: ${judged.reason}`);
    return judged;
  });
  return { sloP99Ms, outcome, points };
}

/** The curve as JSON next to the runs: what was swept, and each point's key figures and file. */
export function writeCurveFile(dir: string, name: string, body: Record<string, unknown>, points: readonly CurvePoint[]): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}.json`);
  const summary = points.map((p) => ({
    [p.parameter]: p.value,
    file: path.basename(p.file),
    status: p.result.status,
    ...(p.result.status === 'completed' && {
      verdict: p.result.verdict,
      sentPerSec: p.result.messages.sentPerSec,
      receivedPerSec: p.result.messages.receivedPerSec,
      latency: p.result.latency,
      lost: p.result.messages.lost,
      errors: p.result.errors.total,
      ...(p.result.stall && { stall: p.result.stall }),
    }),
    ...(p.outcome && { outcome: p.outcome }),
  }));
  writeFileSync(file, JSON.stringify({ schemaVersion: SWEEP_SCHEMA_VERSION, ...body, points: summary }, null, 2) + '\n');
  return file;
}
