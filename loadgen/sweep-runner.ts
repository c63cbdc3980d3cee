/**
 * `--sweep` and `--find-saturation`: one fresh server and one bench run per point, each result
 * written as usual, then a summary of the curve (also written, as JSON). The search strategy
 * itself lives in sweep.ts; this module only turns points into runs.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { resolveBenchPlan } from './plan.ts';
import { UsageError } from '../common/usage.ts';
import type { BenchOptions } from './bench-options.ts';
import { describeEnvironment, type BenchResult } from './result.ts';
import type { RunObserver } from './runner.ts';
import { resultFileName } from './report/json-file.ts';
import { readFinishedTrial, runTrial } from './trial-runner.ts';
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
  /** An interrupt: the point under way ends early (written as `interrupted`), and no other starts. */
  readonly signal?: AbortSignal;
  /** Resuming an interrupted curve: each finished point's result file, by `parameter=value`. */
  readonly finished?: ReadonlyMap<string, string>;
}

async function runPoint(o: SweepRunOptions, parameter: 'clients' | 'rate', value: number): Promise<{ result: BenchResult; file: string }> {
  const plan = resolveBenchPlan({ ...o.bench, [parameter]: value });
  const kept = o.finished?.get(`${parameter}=${value}`);
  const stored = kept === undefined ? undefined : readFinishedTrial(kept);
  if (stored && kept) {
    o.log(`--- ${parameter} = ${value}: kept from the interrupted run (${kept}) ---`);
    return { result: stored, file: kept };
  }
  o.log(`--- ${parameter} = ${value} ---`);
  return runTrial({ plan, argv: [...o.argv, `(${parameter}=${value})`], observer: o.observer, file: (result) => path.join(plan.outDir, resultFileName(result)), ...(o.signal && { signal: o.signal }) });
}

/** Every point in turn; an interrupt ends the sweep after the point under way (which is kept, as `interrupted`). */
export async function runSweep(spec: SweepSpec, o: SweepRunOptions): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (const value of spec.values) {
    if (o.signal?.aborted) break;
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

/** The search; an interrupt ends it with the points so far and no outcome. */
export async function runSaturationSearch(o: SweepRunOptions, startRate: number, sloP99Ms: number, maxRate: number): Promise<SaturationRun | { interrupted: true; points: readonly CurvePoint[] }> {
  const points: CurvePoint[] = [];
  const stopped = new Error('interrupted');
  const outcome = await findSaturation({ ...SATURATION_STEPS, startRate, maxRate }, async (rate) => {
    const { result, file } = await runPoint(o, 'rate', rate);
    if (result.status === 'interrupted') {
      points.push({ parameter: 'rate', value: rate, file, result });
      throw stopped;
    }
    const judged = judgePoint(result, sloP99Ms);
    points.push({ parameter: 'rate', value: rate, file, result, outcome: judged });
    o.log(judged.ok ? `rate ${rate}: within the bound` : `rate ${rate}: ${judged.reason}`);
    return judged;
  }).catch((error: unknown) => {
    if (error === stopped) return undefined;
    throw error;
  });
  return outcome === undefined ? { interrupted: true, points } : { sloP99Ms, outcome, points };
}

/** The curve as JSON next to the runs: what was swept, and each point's key figures and file. */
export function writeCurveFile(dir: string, name: string, body: Record<string, unknown> & { readonly argv: readonly string[] }, points: readonly CurvePoint[]): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}.json`);
  const summary = points.map((p) => ({
    parameter: p.parameter,
    value: p.value,
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
  writeFileAtomically(file, JSON.stringify({ schemaVersion: SWEEP_SCHEMA_VERSION, ...body, environment: describeEnvironment(), points: summary }, null, 2) + '\n');
  return file;
}

/**
 * What `--resume <curve file>` needs from an interrupted curve: its command line, and each finished
 * point's result file (resolved beside the curve file), by `parameter=value`.
 */
export function readCurveForResume(file: string): { argv: string[]; finished: Map<string, string> } {
  let curve: { argv?: unknown; interrupted?: unknown; points?: { parameter?: string; value?: number; file?: string; status?: string }[] };
  try {
    curve = JSON.parse(readFileSync(file, 'utf8')) as typeof curve;
  } catch {
    throw new UsageError('ERR_BAD_OPTION', `--resume ${file}: not a readable curve file (the JSON a --sweep or --find-saturation run writes)`);
  }
  if (!Array.isArray(curve.argv) || !Array.isArray(curve.points)) throw new UsageError('ERR_BAD_OPTION', `--resume ${file}: no argv or points in it (curves written before --resume existed cannot be resumed)`);
  if (curve.interrupted === undefined) throw new UsageError('ERR_BAD_OPTION', `--resume ${file}: that curve was not interrupted; there is nothing to finish`);
  const finished = new Map<string, string>();
  for (const p of curve.points) {
    if (p.status === 'interrupted' || p.parameter === undefined || p.value === undefined || p.file === undefined) continue;
    finished.set(`${p.parameter}=${p.value}`, path.join(path.dirname(file), p.file));
  }
  return { argv: curve.argv as string[], finished };
}
