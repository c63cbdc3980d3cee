/**
 * The thresholds T of the gate, per metric: a metric REGRESSED only when all of its rounds' head/base
 * ratios but one (OUTLYING_ROUNDS) lie past 1 + T, in the run and in its confirmation rerun. The project's own come from base-vs-base runs on this machine
 * (regress/thresholds.json, written by scripts/regress-calibrate.ts); a team recalibrates on its
 * runners with `--calibrate` and passes the file it prints with `--thresholds`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../common/usage.ts';
import { GATE_METRICS, type GateMetric } from './suite.ts';
import type { Thresholds } from './verdict.ts';

export const DEFAULT_THRESHOLDS_FILE = fileURLToPath(new URL('./thresholds.json', import.meta.url));

const ratio = z.number().min(0).max(10);
const schema = z.object({
  schemaVersion: z.literal(1),
  source: z.string(),
  thresholds: z.object(Object.fromEntries(GATE_METRICS.map((m) => [m.key, ratio])) as Record<GateMetric, typeof ratio>).strict(),
  /** Base's closed-loop echo rate per model in the calibration runs: the load the thresholds hold at. */
  closedLoopPerSec: z.record(z.string(), z.number().positive()).optional(),
  /** The runtime the calibration's servers ran on: another runtime's noise is not calibrated by it. */
  runtime: z.object({ node: z.string(), v8: z.string().optional() }).strict().optional(),
});

/** A run whose closed-loop rate falls below this share of the calibration's ran on a slower or busier machine than its thresholds. */
export const SLOW_RUNNER_SHARE = 0.7;

export type ThresholdsFile = z.infer<typeof schema>;

export function readThresholds(file: string): ThresholdsFile & { thresholds: Thresholds } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError('ERR_BAD_OPTION', `--thresholds ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError('ERR_BAD_OPTION', `--thresholds ${file}: ${issue.path.join('.') || 'the file'}: ${issue.message} (expected {"schemaVersion": 1, "source": "…", "thresholds": {${GATE_METRICS.map((m) => `"${m.key}": 0.1`).join(', ')}}}, each a fraction ≥ 0)`);
  }
  return parsed.data as ThresholdsFile & { thresholds: Thresholds };
}
