/**
 * One trial of a series (a comparison's, a sweep's, the regression gate's): a bench run from a
 * plan, its result written as soon as it exists, atomically (a temporary file, then a rename), so
 * a long series cut short keeps every trial that finished and never a half-written one.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
}

export async function runTrial(spec: TrialSpec): Promise<{ result: BenchResult; file: string }> {
  const result = await runBench(spec.plan, spec.argv, spec.observer);
  const file = typeof spec.file === 'string' ? spec.file : spec.file(result);
  writeJsonAtomically(file, result);
  return { result, file };
}

/** Writes `value` as JSON to a temporary file beside `file`, then renames it into place. */
export function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n');
  renameSync(temporary, file);
}
