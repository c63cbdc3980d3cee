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
import { RESULT_SCHEMA_VERSION, type BenchResult } from './result.ts';
import { UsageError } from '../common/usage.ts';
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

/**
 * A trial's stored result when it ran to its end (completed or failed), to skip it on resume; else
 * undefined. A result of an older schema is refused: resumed, it would sit beside new trials judged
 * by other rules (what counts as lost, censored or faulty).
 */
export function readFinishedTrial(file: string): BenchResult | undefined {
  if (!existsSync(file)) return undefined;
  let stored: BenchResult;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  } catch {
    return undefined; // unreadable: run the trial again
  }
  const version = (stored as { schemaVersion?: unknown }).schemaVersion;
  if (version !== RESULT_SCHEMA_VERSION) {
    throw new UsageError('ERR_BAD_OPTION', `${file} was written by another version (result schema ${String(version)}; this one writes ${RESULT_SCHEMA_VERSION}): resuming would mix trials judged by different rules; finish it with that version, or start a new run`);
  }
  const result = upgradeResult(stored);
  return result.status === 'interrupted' ? undefined : result;
}

export async function runTrial(spec: TrialSpec): Promise<{ result: BenchResult; file: string }> {
  const result = await runBench(spec.plan, spec.argv, spec.observer, spec.signal);
  const file = typeof spec.file === 'string' ? spec.file : spec.file(result);
  writeJsonAtomically(file, result);
  return { result, file };
}
