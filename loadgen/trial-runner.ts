/**
 * One trial of a series (a comparison's, a sweep's, the regression gate's): a bench run from a
 * plan, its result written as soon as it exists, atomically (a temporary file, then a rename), so
 * a long series cut short keeps every trial that finished and never a half-written one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomically } from '../common/atomic-write.ts';
import { upgradeResult } from './result-upgrade.ts';
import { runBench } from './bench.ts';
import type { BenchPlan } from './plan.ts';
import type { BenchResult } from './result.ts';
import type { RunObserver } from './runner.ts';

export interface TrialSpec {
  readonly plan: BenchPlan;
  /** The command line the result records. */
  readonly argv: readonly string[];
  /** Where the result goes, or how to name it from the result (a bench run's id). */
  readonly file: string | ((result: BenchResult) => string);
  readonly observer?: RunObserver;
  /** An interrupt: the trial ends early and its result says `interrupted`. */
  readonly signal?: AbortSignal;
}

/** A trial's stored result when it ran to its end (completed or failed), to skip it on resume; else undefined. */
export function readFinishedTrial(file: string): BenchResult | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const result = upgradeResult(JSON.parse(readFileSync(file, 'utf8')) as BenchResult);
    return result.status === 'interrupted' ? undefined : result;
  } catch {
    return undefined; // unreadable: run the trial again
  }
}

export async function runTrial(spec: TrialSpec): Promise<{ result: BenchResult; file: string }> {
  const result = await runBench(spec.plan, spec.argv, spec.observer, spec.signal);
  const file = typeof spec.file === 'string' ? spec.file : spec.file(result);
  writeJsonAtomically(file, result);
  return { result, file };
}
