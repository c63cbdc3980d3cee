/** Writes a result as pretty JSON into the results folder, under a timestamped name (atomically). */
import { writeJsonAtomically } from '../../common/atomic-write.ts';
import path from 'node:path';
import type { BenchResult } from '../result.ts';

export function resultFileName(result: BenchResult): string {
  return `${result.runId}.json`;
}

export function writeResultFile(result: BenchResult, dir: string): string {
  const file = path.join(dir, resultFileName(result));
  writeJsonAtomically(file, result);
  return file;
}

/** A run id that sorts by time and says what ran: 2026-11-26T10-15-00-123Z-actor-echo. */
export function makeRunId(startedAt: Date, model: string, scenario: string): string {
  return `${startedAt.toISOString().replace(/[:.]/g, '-')}-${model}-${scenario}`;
}
